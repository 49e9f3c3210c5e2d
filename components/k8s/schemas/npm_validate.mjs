// Validates Kubernetes objects (a JSON array on stdin) with the @kubernetes-models packages' own
// validators (ajv code compiled from the upstream Go API types). Prints one JSON result per object.
// Used by tests/components/k8s/test_schemas.py when node and node_modules are present.
const MODELS = {
  "argoproj.io/v1alpha1/Rollout": "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/Rollout",
  "argoproj.io/v1alpha1/AnalysisTemplate":
    "@kubernetes-models/argo-rollouts/argoproj.io/v1alpha1/AnalysisTemplate",
  "gateway.networking.k8s.io/v1/HTTPRoute":
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute",
  "gateway.networking.k8s.io/v1beta1/ReferenceGrant":
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1/ReferenceGrant",
  "monitoring.coreos.com/v1/PodMonitor":
    "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PodMonitor",
};

let input = "";
for await (const chunk of process.stdin) input += chunk;
const results = [];
for (const obj of JSON.parse(input)) {
  const module = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (!module) {
    results.push({ kind: obj.kind, error: "no model for this kind" });
    continue;
  }
  const Model = (await import(module))[obj.kind];
  try {
    new Model(obj).validate();
    results.push({ kind: obj.kind, valid: true });
  } catch (error) {
    results.push({ kind: obj.kind, valid: false, message: String(error.message ?? error) });
  }
}
process.stdout.write(JSON.stringify(results));
