// Loads a flag file with the pinned @openfeature/flagd-core (its compiled JSON-schema validator and
// its evaluator) and evaluates string flags for many targeting keys. Input on stdin:
//   {"flags": "<flag file text>", "keys": ["migration.aiAgents"], "sessions": ["s1", ...]}
// Output: {"loaded": [...flag keys...], "results": {flagKey: {sessionId: {value, reason, variant}}}}
// or {"error": "..."} when flagd-core refuses the file. Used by tests/components/k8s/test_migration.py.
import { FlagdCore } from "@openfeature/flagd-core";

let input = "";
for await (const chunk of process.stdin) input += chunk;
const request = JSON.parse(input);
const core = new FlagdCore();
try {
  core.setConfigurations(request.flags);
} catch (error) {
  process.stdout.write(JSON.stringify({ error: String(error.message ?? error) }));
  process.exit(0);
}
const results = {};
for (const key of request.keys) {
  results[key] = {};
  for (const session of request.sessions) {
    const details = core.resolveStringEvaluation(key, "unset", { targetingKey: session });
    results[key][session] = {
      value: details.value,
      reason: details.reason,
      variant: details.variant ?? null,
    };
  }
}
process.stdout.write(JSON.stringify({ loaded: [...core.getFlags().keys()], results }));
