// The CLI's entry point, bundled to dist/cli.js and started by bin/oncoclear.js. main.ts itself
// runs nothing on import, so the service and tests can import it.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
