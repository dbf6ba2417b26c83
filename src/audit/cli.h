/* `warden audit --config FILE [--since T] [--until T] [--model M] [--key NAME]
 *  [--status N] [--limit N] [--cursor C] [--json]`: reads the audit store the
 * config names. A table on a terminal, JSON lines with --json or when stdout is
 * not a terminal; the next page's cursor goes to stderr. */
#ifndef WARDEN_AUDIT_CLI_H
#define WARDEN_AUDIT_CLI_H

/* argv[0] is "audit". Returns the process exit status. */
int audit_cli_main(int argc, char **argv);

#endif
