// Tests run on Node 20 with an AWS SDK that still supports it; its notice about future releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.AWS_REGION ??= 'us-east-1';
// No test may reach AWS: a client built without an explicit endpoint goes to a closed loopback port and
// fails at once, instead of trying the internet with whatever credentials the machine has.
process.env.AWS_ENDPOINT_URL ??= 'http://127.0.0.1:9';
