import { main } from '../lib/cli/program.js';

// A reader that goes away (`elt … | head`) is not an error: stop quietly, as other command-line tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

// The README states which Node versions this runs on; the AWS SDK's eight-line notice about its own future
// releases (Node 22 from January 2027) would otherwise bury a command's output on Node 20. Setting the
// variable to false shows the notice again.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

process.exitCode = await main(process.argv);
