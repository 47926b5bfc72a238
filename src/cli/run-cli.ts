/**
 * Runs an operations CLI's `main(argv)` and exits with its code; an error prints
 * "<what> failed: <message>" and exits 1. The exit code is 1 until `main` settles, so a
 * stall that empties the event loop never passes for success.
 */
export function runCli(what: string, main: (argv: string[]) => Promise<number>): void {
  process.exitCode = 1
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(`${what} failed: ${err instanceof Error ? err.message : String(err)}`)
      process.exit(1)
    },
  )
}
