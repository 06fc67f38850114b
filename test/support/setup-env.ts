// Tests run on Node 20 with an AWS SDK that still supports it; its notice about future releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
// No test may reach AWS: any client built without an explicit endpoint must fail fast rather than try the network.
process.env.AWS_REGION ??= 'us-east-1';
