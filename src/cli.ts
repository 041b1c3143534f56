/**
 * The headless command line over the same engine the extension uses:
 *   circuit-inspector info <model>
 *   circuit-inspector run <model> (--prompt TEXT | --tokens 1,2,3) [--logits last|all] [--patterns] [--backend B]
 *   circuit-inspector heads <model> [--prompt TEXT | --tokens IDS] [--random-length N --batch B --seed S] [--backend B]
 *   circuit-inspector composition <model> [--baseline] [--backend B]
 *   circuit-inspector circuits <model> --head L.H (--prompt TEXT | --tokens IDS) [--backend B]
 *   circuit-inspector bench [--tokens 128] [--backend B] [--json]
 *   circuit-inspector patch <model> --clean TEXT --corrupted TEXT [--target T [--distractor D]] --component heads|layers|resid
 *   circuit-inspector experiment <file.json>
 *   circuit-inspector particles <model> (--prompt TEXT | --tokens IDS) [--beta B] [--delta D]
 *   circuit-inspector simulate --n N --d D --beta B --t T --dt DT [--init random|orthonormal] [--model M --head L.H] [--dynamics sa|usa]
 */
import { benchCommand } from './cli/bench';
import { circuitsCommand } from './cli/circuits';
import { compositionCommand } from './cli/composition';
import { headsCommand } from './cli/heads';
import { experimentCommand } from './cli/experiment';
import { infoCommand } from './cli/info';
import { reportFailure, UsageError } from './cli/output';
import { particlesCommand } from './cli/particles';
import { patchCommand } from './cli/patch';
import { runCommand } from './cli/run';
import { simulateCommand } from './cli/simulate';

const USAGE = `usage: circuit-inspector <command> [options]

commands:
  info <model>                          model card as JSON
  run <model> (--prompt TEXT | --tokens 1,2,3) [--logits last|all] [--patterns]
                                        one forward pass as JSON
      [--ablate L.H[:zero|mean|resample]] [--ablate-attn L[:m]] [--ablate-mlp L[:m]]
      [--corrupted TEXT] [--target TOKEN [--distractor TOKEN]] [--metric loss|logit|logitDiff|prob]
                                        … under ablations; adds "ablations" and "metric"
                                        {before, after} (loss unless --target)
  heads <model> [--prompt TEXT | --tokens 1,2,3] [--random-length 50 --batch 4 --seed 0]
                                        previous-token, duplicate-token, induction, sink
                                        and copying scores of every head as JSON
  composition <model> [--baseline]      Q/K/V-composition scores [layer1][head1][layer2][head2]
                                        as JSON (--baseline: minus the random-matrix mean)
  circuits <model> --head L.H (--prompt TEXT | --tokens 1,2,3)
                                        one head's QK/OV circuits on the prompt's tokens,
                                        eigenvalues and copying scores as JSON
  patch <model> --clean TEXT --corrupted TEXT --component heads|layers|resid
      [--target TOKEN [--distractor TOKEN]] [--metric loss|logit|logitDiff|prob]
                                        activation patching grid (restored metric per
                                        layer × position, or layer × head) as JSON
  experiment <file.json> [--dry-run]    run a saved experiment; writes its "results"
  particles <model> (--prompt TEXT | --tokens 1,2,3) [--beta 1] [--delta 0.1]
                                        per-layer clusters, cosines, effective rank and
                                        energy of the tokens as particles on the sphere
  simulate --n N --d D --beta B --t T --dt DT [--init random|orthonormal]
      [--dynamics sa|usa] [--integrator euler|rk4] [--delta 0.001] [--seed 0]
      [--model M [--head L.H] [--from-layer L (--prompt TEXT | --tokens 1,2,3)]]
                                        the attention dynamics on the sphere: clusters,
                                        clustered pairs, inner products and energy over time
  bench [--tokens 128] [--backend B] [--repeats 5] [--threads N] [--no-sweeps] [--json]
                                        GPT-2-small forward + full cache vs numpy/PyTorch

<model>: a .safetensors file, a model.safetensors.index.json, or a folder holding
them with config.json (and optionally tokenizer.json); or a .gguf file (config and
tokenizer from its metadata).
--backend: auto (default) | tensorflow | wasm | cpu
`;

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  info: infoCommand,
  run: runCommand,
  heads: headsCommand,
  composition: compositionCommand,
  circuits: circuitsCommand,
  bench: benchCommand,
  patch: patchCommand,
  experiment: experimentCommand,
  particles: particlesCommand,
  simulate: simulateCommand,
};

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  const handler = COMMANDS[command];
  try {
    if (!handler) throw new UsageError(`unknown command "${command}" (try: ${Object.keys(COMMANDS).join(', ')})`);
    await handler(rest);
    return 0;
  } catch (error) {
    return reportFailure(error);
  }
}

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
