// Placeholder: replaced by the issue that builds this command.
/** Run the command; resolves to the process exit code. */
export async function run(_argv: string[]): Promise<number> {
  console.error('cdc-cache: this command is not built yet');
  return 1;
}
