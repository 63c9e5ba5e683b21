import { Command, CommanderError } from 'commander';

/**
 * The `eiu` command. Each sub-command lives in its own module and registers
 * itself on the program; this file only wires them together.
 */
export async function main(argv: string[]): Promise<number> {
  const program = new Command()
    .name('eiu')
    .description('EIU test-and-learn platform: analysis and data tools')
    .exitOverride()
    .showHelpAfterError();

  const registrations = await Promise.all([
    import('./analyse-command.ts').then((m) => m.register).catch(() => undefined),
    import('./power-command.ts').then((m) => m.register).catch(() => undefined),
    import('./import-command.ts').then((m) => m.register).catch(() => undefined),
  ]);
  for (const register of registrations) register?.(program);

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`eiu: ${(error as Error).message}\n`);
    return 1;
  }
}
