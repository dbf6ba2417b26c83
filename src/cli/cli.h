/* Sub-commands of the warden binary that do not serve:
 *
 *   warden train --data CSV --text-column NAME --label-column NAME --out FILE [...]
 *   warden eval  --config FILE --guardrail NAME --data FILE [--json] [--min-f1 X] [--min-recall X]
 *
 * Each takes argv after its own name (argv[0] is the sub-command) and returns the
 * process exit code: 0 success, 1 failure or below a bar, 2 usage error. */
#ifndef WARDEN_CLI_H
#define WARDEN_CLI_H

int cli_train_main(int argc, char **argv);
int cli_eval_main(int argc, char **argv);

#endif
