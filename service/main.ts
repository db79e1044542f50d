// Placeholder until the service lands: `serve` and `start` explain themselves.
const command = process.argv[2];
if (command === 'start') {
  const { main } = await import('../src/cli/main.js');
  const code = await main(['pipeline']);
  if (code === 0)
    process.stdout.write(
      '\nThe pipeline ran. Serving is not built yet: `oncoclear serve` lands with the service.\n',
    );
  process.exitCode = code;
} else {
  process.stderr.write('oncoclear serve: the service is not built yet.\n');
  process.exitCode = 1;
}
