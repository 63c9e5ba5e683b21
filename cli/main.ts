import { Command, CommanderError } from 'commander';
import { register as registerAnalyse } from './analyse-command.ts';
import { register as registerPower } from './power-command.ts';
import { register as registerImport } from './import-command.ts';
import { register as registerSimulate } from './simulate-command.ts';

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
  for (const register of [registerAnalyse, registerPower, registerImport, registerSimulate]) register(program);

  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`eiu: ${(error as Error).message}\n`);
    return 1;
  }
}
