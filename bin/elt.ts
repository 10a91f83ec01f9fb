import { main } from '../lib/cli/program.js';

// A reader that goes away (`elt … | head`) is not an error: stop quietly, as other command-line tools do.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

process.exitCode = await main(process.argv);
