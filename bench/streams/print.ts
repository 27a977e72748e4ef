import type { StreamsReport } from './streams';

/** The stream scenario's tables (docs/streams-bench.md explains the columns). */
export function printStreams(r: StreamsReport): string {
  const lines = [
    '',
    `## Streams: sendMessageStream over graphql-ws (first piece after ${r.firstPieceMs} ms; ${r.addresses} loopback addresses, limits on)`,
    `load average before / after: ${r.loadAverage.slice(0, 3).join(' ')} / ${r.loadAverage.slice(3).join(' ')}`,
  ];
  for (const c of r.coaches) {
    lines.push('', `### ${c.coach}: store calls before the model call ${JSON.stringify(c.beforeModel)}`);
    lines.push('| streams | piece every ms | done | errors | broken | dup replies | added p50 ms | added p99 ms | floor p50 ms | floor p99 ms | floor errors | target (p50 <= floor + 5) | deltas/stream | server CPU us/stream | us/delta | loadgen us/stream |');
    lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|');
    for (const p of c.points) {
      const target = p.concurrency === 100 ? (p.withinTarget ? 'met' : 'missed') : p.withinTarget ? '(met)' : '(missed)';
      lines.push(
        `| ${p.concurrency} | ${p.paceMs} | ${p.streams} | ${p.errors} | ${p.broken} | ${p.duplicateReplies} | ${p.addedP50} | ${p.addedP99} | ${p.floorP50} | ${p.floorP99} | ${p.floorErrors} | ${target} | ${p.deltasPerStream} | ${p.serverCpuMicrosPerStream} | ${p.serverCpuMicrosPerDelta} | ${p.loadgenCpuMicrosPerStream} |`,
      );
      if (p.firstError) lines.push(`first error at ${p.concurrency}: ${p.firstError}`);
    }
    if (c.lostOrDuplicated !== undefined) lines.push(`sessions with a lost or doubled message after the runs: ${c.lostOrDuplicated}`);
  }
  const marginal = deltaCost(r);
  if (marginal !== null) lines.push('', `Server CPU per extra delta (embedded-words minus embedded at 100 streams, per delta added): ${marginal} us`);
  const s = r.sockets;
  if (s) {
    lines.push('', `### ${s.sockets} authenticated sockets held open (${s.failed} refused${s.firstError ? `: ${s.firstError}` : ''}), opened in ${s.openSeconds} s`);
    lines.push(`RSS ${s.rssBeforeMb} -> ${s.rssAfterMb} MB after GC (heap ${s.heapAfterMb} MB): ${s.rssKbPerSocket} KB per socket; CPU ${s.cpuMicrosPerSocketOpen} us per socket to open, ${s.idleCpuMicrosPerSocketMinute} us per socket per idle minute`);
  }
  return lines.join('\n') + '\n';
}

/** What one more delta costs the server: the same turns in more pieces, CPU per stream over the extra deltas. */
export function deltaCost(r: StreamsReport): number | null {
  const at100 = (coach: string) => r.coaches.find((c) => c.coach === coach)?.points.find((p) => p.concurrency === 100);
  const [few, many] = [at100('embedded'), at100('embedded-words')];
  if (!few || !many || many.deltasPerStream <= few.deltasPerStream) return null;
  return Math.round((many.serverCpuMicrosPerStream - few.serverCpuMicrosPerStream) / (many.deltasPerStream - few.deltasPerStream));
}
