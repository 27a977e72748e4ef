// Added by jest.config.js when the browser suite is left out (no Chromium, not CI): one loud
// line at the end of the run, before the summary, that says so and how to turn the suite on.
class BrowserSuiteSkipped {
  constructor(_globalConfig, options) {
    this.chromium = options.chromium;
  }

  onRunComplete() {
    process.stdout.write(
      `\n*** BROWSER TESTS SKIPPED: no Chromium at ${this.chromium}. To run them, install Debian's chromium ` +
        '(as root: apt-get update && apt-get install -y chromium) or set CHROMIUM_PATH to a Chromium executable; ' +
        'with CI=true they are required. ***\n',
    );
  }
}
module.exports = BrowserSuiteSkipped;
