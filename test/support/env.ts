// Quiet the AWS SDK's Node 22 notice in test output; `engines` in package.json stays honest.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
import 'reflect-metadata';
