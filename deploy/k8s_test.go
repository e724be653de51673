package deploy_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/schedule-manager/schedule-manager/internal/testenv"
)

// k8sObjects returns the Kubernetes objects of the kustomization's
// resources, each with the file it came from.
func k8sObjects(t *testing.T) (objs []map[string]any, files []string) {
	t.Helper()
	kust := yamlDoc(t, "deploy/k8s/kustomization.yaml")
	for _, r := range asList(kust["resources"]) {
		f := "deploy/k8s/" + asString(r)
		if !exists(f) {
			t.Errorf("kustomization.yaml: resource %s does not exist", asString(r))
			continue
		}
		for _, d := range yamlDocs(t, f) {
			objs = append(objs, asMap(d))
			files = append(files, f)
		}
	}
	return objs, files
}

// TestKustomization checks that kustomization.yaml lists existing files,
// every manifest of deploy/k8s (Helm values aside) is listed, and images
// name the Deployment's image.
func TestKustomization(t *testing.T) {
	kust := yamlDoc(t, "deploy/k8s/kustomization.yaml")
	if asString(kust["kind"]) != "Kustomization" || !strings.HasPrefix(asString(kust["apiVersion"]), "kustomize.config.k8s.io/") {
		t.Errorf("kustomization.yaml: kind %v apiVersion %v", kust["kind"], kust["apiVersion"])
	}
	var listed []string
	for _, r := range asList(kust["resources"]) {
		listed = append(listed, asString(r))
	}
	all, _ := filepath.Glob(filepath.Join(root, "deploy/k8s/*.yaml"))
	for _, f := range all {
		base := filepath.Base(f)
		if base == "kustomization.yaml" || base == "nats-values.yaml" {
			continue
		}
		if !slices.Contains(listed, base) {
			t.Errorf("deploy/k8s/%s is not listed in kustomization.yaml resources", base)
		}
	}
	objs, _ := k8sObjects(t)
	images := map[string]bool{}
	for _, o := range objs {
		for _, c := range asList(dig(o, "spec", "template", "spec", "containers")) {
			images[asString(dig(c, "image"))] = true
		}
	}
	for _, img := range asList(kust["images"]) {
		if name := asString(dig(img, "name")); !images[name] {
			t.Errorf("kustomization.yaml: images entry %q matches no container image (have %v)", name, sortedKeys(images))
		}
	}
	// A pinned image: a moving tag with imagePullPolicy IfNotPresent runs
	// whichever build each node cached. The pin is the tag deploy/README.md
	// builds and pushes, so following the README deploys what it built.
	ref := pinnedImage(t)
	readme := readFile(t, "deploy/README.md")
	if !strings.Contains(readme, "-t "+ref+" --push") {
		t.Errorf("deploy/README.md does not build and push %s, the image kustomization.yaml pins", ref)
	}
}

// pinnedImage returns the image reference kustomization.yaml sets
// (newName:newTag, or newName@digest), failing for a missing or moving tag.
func pinnedImage(t *testing.T) string {
	t.Helper()
	kust := yamlDoc(t, "deploy/k8s/kustomization.yaml")
	imgs := asList(kust["images"])
	if len(imgs) != 1 {
		t.Fatalf("kustomization.yaml: want one images entry, got %d", len(imgs))
	}
	name, tag, digest := asString(dig(imgs[0], "newName")), asString(dig(imgs[0], "newTag")), asString(dig(imgs[0], "digest"))
	switch {
	case strings.HasPrefix(digest, "sha256:"):
		return name + "@" + digest
	case tag == "" || tag == "latest" || !regexp.MustCompile(`^v?[0-9]+\.[0-9]+\.[0-9]+`).MatchString(tag):
		t.Fatalf("kustomization.yaml: newTag %q is not a version: pin a release tag (v1.2.3) or a digest", tag)
	}
	return name + ":" + tag
}

// kustomizeCmd renders a kustomization: with the standalone kustomize
// when it is on PATH, else with kubectl's built-in one. Without either the
// test is skipped, except under CI=true where it fails (.ci/run installs
// kubectl, and kustomize when that kubectl is too old).
func kustomizeCmd(t *testing.T, dir string) *exec.Cmd {
	t.Helper()
	if k, err := exec.LookPath("kustomize"); err == nil {
		return exec.Command(k, "build", dir)
	}
	kubectl := testenv.Tool(t, "kubectl", "apt-get install kubectl, or "+
		"go install sigs.k8s.io/kustomize/kustomize/v5@v5.8.2 for kustomize alone")
	return exec.Command(kubectl, "kustomize", dir)
}

// TestKustomizeBuild renders the kustomization (kustomize v4.1 or later:
// kubectl 1.21 and later embed one; Debian's kubernetes-client 1.20 does
// not know the labels field).
func TestKustomizeBuild(t *testing.T) {
	cmd := kustomizeCmd(t, filepath.Join(root, "deploy/k8s"))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	kinds := map[string]int{}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		for _, line := range strings.Split(doc, "\n") {
			if k, ok := strings.CutPrefix(line, "kind: "); ok {
				kinds[k]++
			}
		}
		if !strings.Contains(doc, "namespace: schedule-manager") {
			t.Errorf("rendered object without namespace schedule-manager:\n%s", doc)
		}
	}
	for _, k := range []string{"ConfigMap", "Secret", "Deployment", "Service", "PodDisruptionBudget"} {
		if kinds[k] != 1 {
			t.Errorf("rendered %d %s objects, want 1", kinds[k], k)
		}
	}
	if ref := pinnedImage(t); !strings.Contains(string(out), "image: "+ref+"\n") {
		t.Errorf("the images transformer did not set the Deployment's image to %s", ref)
	}
}

// TestKubernetesObjects checks the fields each kind needs and the
// references between objects.
func TestKubernetesObjects(t *testing.T) {
	objs, files := k8sObjects(t)
	byKind := map[string][]map[string]any{}
	for i, o := range objs {
		kind, name := asString(o["kind"]), asString(dig(o, "metadata", "name"))
		if asString(o["apiVersion"]) == "" || kind == "" || name == "" {
			t.Errorf("%s: object without apiVersion, kind or metadata.name: %v", files[i], o)
			continue
		}
		byKind[kind] = append(byKind[kind], o)
	}
	for _, k := range []string{"Deployment", "Service", "ConfigMap", "Secret", "PodDisruptionBudget"} {
		if len(byKind[k]) != 1 {
			t.Fatalf("want one %s, got %d", k, len(byKind[k]))
		}
	}
	dep := byKind["Deployment"][0]
	podLabels := asMap(dig(dep, "spec", "template", "metadata", "labels"))
	matches := func(where string, sel map[string]any) {
		t.Helper()
		if len(sel) == 0 {
			t.Errorf("%s: empty selector", where)
		}
		for k, v := range sel {
			if asString(podLabels[k]) != asString(v) {
				t.Errorf("%s: selector %s=%v does not match the pod labels %v", where, k, v, podLabels)
			}
		}
	}

	t.Run("Deployment", func(t *testing.T) {
		spec := asMap(dep["spec"])
		if r, _ := spec["replicas"].(int); r < 3 {
			t.Errorf("replicas = %v, want at least 3", spec["replicas"])
		}
		matches("Deployment selector", asMap(dig(spec, "selector", "matchLabels")))
		pod := asMap(dig(spec, "template", "spec"))
		if dig(pod, "securityContext", "runAsNonRoot") != true {
			t.Error("pod securityContext.runAsNonRoot is not true")
		}
		if asString(dig(pod, "securityContext", "seccompProfile", "type")) != "RuntimeDefault" {
			t.Error("pod seccompProfile is not RuntimeDefault")
		}
		if len(asList(pod["topologySpreadConstraints"])) == 0 {
			t.Error("no topologySpreadConstraints")
		}
		for _, c := range asList(dig(pod, "topologySpreadConstraints")) {
			matches("topologySpreadConstraint", asMap(dig(c, "labelSelector", "matchLabels")))
		}
		containers := asList(pod["containers"])
		if len(containers) != 1 {
			t.Fatalf("want one container, got %d", len(containers))
		}
		c := asMap(containers[0])
		if asString(c["image"]) == "" {
			t.Error("container has no image")
		}
		probe := func(name, path string) {
			if p := asString(dig(c, name, "httpGet", "path")); p != path {
				t.Errorf("%s path = %q, want %q", name, p, path)
			}
			if port := asString(dig(c, name, "httpGet", "port")); port != "http" && port != "8080" {
				t.Errorf("%s port = %q, want the http port", name, port)
			}
		}
		probe("livenessProbe", "/healthz")
		probe("readinessProbe", "/readyz")
		if dig(c, "ports", 0, "containerPort") != 8080 || asString(dig(c, "ports", 0, "name")) != "http" {
			t.Errorf("container port: %v, want http 8080", c["ports"])
		}
		// Prometheus scrapes the metrics listener: the annotation, the
		// container port named metrics and metrics-addr in the settings
		// agree (the Service test below keeps that port out of the Service).
		metricsPort := ""
		for _, p := range asList(c["ports"]) {
			if asString(dig(p, "name")) == "metrics" {
				metricsPort = asString(dig(p, "containerPort"))
			}
		}
		settings := asMap(nil)
		if err := yaml.Unmarshal([]byte(asString(dig(byKind["ConfigMap"][0], "data", "settings.yaml"))), &settings); err != nil {
			t.Fatal(err)
		}
		_, addrPort, _ := strings.Cut(asString(settings["metrics-addr"]), ":")
		annotations := asMap(dig(spec, "template", "metadata", "annotations"))
		if metricsPort == "" || addrPort != metricsPort || asString(annotations["prometheus.io/port"]) != metricsPort {
			t.Errorf("metrics: container port %q, settings metrics-addr port %q, annotation prometheus.io/port %q: want one port", metricsPort, addrPort, annotations["prometheus.io/port"])
		}
		sc := asMap(c["securityContext"])
		for k, want := range map[string]any{"runAsNonRoot": true, "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false} {
			if sc[k] != want {
				t.Errorf("container securityContext.%s = %v, want %v", k, sc[k], want)
			}
		}
		if drop := asList(dig(sc, "capabilities", "drop")); len(drop) != 1 || asString(drop[0]) != "ALL" {
			t.Errorf("capabilities.drop = %v, want [ALL]", drop)
		}
		if asString(dig(sc, "seccompProfile", "type")) != "RuntimeDefault" {
			t.Error("container seccompProfile is not RuntimeDefault")
		}
		for _, k := range []string{"requests", "limits"} {
			for _, r := range []string{"cpu", "memory"} {
				if dig(c, "resources", k, r) == nil {
					t.Errorf("resources.%s.%s missing", k, r)
				}
			}
		}
		// References to the ConfigMap and Secret resolve, keys included.
		cm, sec := byKind["ConfigMap"][0], byKind["Secret"][0]
		for _, e := range asList(c["env"]) {
			if ref := asMap(dig(e, "valueFrom", "secretKeyRef")); ref != nil {
				key := asString(ref["key"])
				if asString(ref["name"]) != asString(dig(sec, "metadata", "name")) || dig(sec, "stringData", key) == nil && dig(sec, "data", key) == nil {
					t.Errorf("env %v: no such Secret key", dig(e, "name"))
				}
			}
			if ref := asMap(dig(e, "valueFrom", "configMapKeyRef")); ref != nil {
				if asString(ref["name"]) != asString(dig(cm, "metadata", "name")) || dig(cm, "data", asString(ref["key"])) == nil {
					t.Errorf("env %v: no such ConfigMap key", dig(e, "name"))
				}
			}
		}
		volumes := map[string]map[string]any{}
		for _, v := range asList(pod["volumes"]) {
			volumes[asString(dig(v, "name"))] = asMap(v)
		}
		for _, m := range asList(c["volumeMounts"]) {
			v := volumes[asString(dig(m, "name"))]
			if v == nil {
				t.Errorf("volumeMount %v: no such volume", dig(m, "name"))
				continue
			}
			if ref := asMap(v["configMap"]); ref != nil {
				if asString(ref["name"]) != asString(dig(cm, "metadata", "name")) {
					t.Errorf("volume %v: no ConfigMap %v", v["name"], ref["name"])
				}
				for _, it := range asList(ref["items"]) {
					if dig(cm, "data", asString(dig(it, "key"))) == nil {
						t.Errorf("volume %v: ConfigMap has no key %v", v["name"], dig(it, "key"))
					}
				}
			}
		}
		// The settings file the container is told to read is mounted.
		for _, e := range asList(c["env"]) {
			if asString(dig(e, "name")) != "SCHEDMGR_SETTINGS" {
				continue
			}
			path, mounted := asString(dig(e, "value")), false
			for _, m := range asList(c["volumeMounts"]) {
				if dir := asString(dig(m, "mountPath")); strings.HasPrefix(path, dir+"/") {
					mounted = true
					items := asList(dig(volumes[asString(dig(m, "name"))], "configMap", "items"))
					if len(items) > 0 && !slices.ContainsFunc(items, func(it any) bool { return dir+"/"+asString(dig(it, "path")) == path }) {
						t.Errorf("SCHEDMGR_SETTINGS=%s: the volume mounted on %s has no such item", path, dir)
					}
				}
			}
			if !mounted {
				t.Errorf("SCHEDMGR_SETTINGS=%s is on no mounted volume", path)
			}
		}
	})

	t.Run("Service", func(t *testing.T) {
		svc := byKind["Service"][0]
		matches("Service selector", asMap(dig(svc, "spec", "selector")))
		ports := asList(dig(svc, "spec", "ports"))
		if len(ports) == 0 {
			t.Fatal("Service has no ports")
		}
		for _, p := range ports {
			if dig(p, "port") == nil {
				t.Errorf("Service port without port: %v", p)
			}
			if tp := asString(dig(p, "targetPort")); tp != "http" && tp != "8080" {
				t.Errorf("Service targetPort %q is not the container's http port", tp)
			}
		}
	})

	t.Run("PodDisruptionBudget", func(t *testing.T) {
		pdb := byKind["PodDisruptionBudget"][0]
		matches("PDB selector", asMap(dig(pdb, "spec", "selector", "matchLabels")))
		if dig(pdb, "spec", "minAvailable") != 2 {
			t.Errorf("minAvailable = %v, want 2", dig(pdb, "spec", "minAvailable"))
		}
	})

	t.Run("ConfigMap", func(t *testing.T) {
		settings := asString(dig(byKind["ConfigMap"][0], "data", "settings.yaml"))
		if !strings.Contains(settings, "nats-url: nats://nats:4222") || !strings.Contains(settings, "store-replicas: 3") {
			t.Errorf("settings.yaml should join the Helm release's NATS with 3 store replicas:\n%s", settings)
		}
	})
}

// TestNATSHelmValues checks the values given to the official NATS chart:
// a 3-node JetStream cluster with file storage, and memory storage for the
// presence bucket.
func TestNATSHelmValues(t *testing.T) {
	v := yamlDoc(t, "deploy/k8s/nats-values.yaml")
	for path, want := range map[string]any{
		"config.cluster.enabled":               true,
		"config.cluster.replicas":              3,
		"config.jetstream.enabled":             true,
		"config.jetstream.fileStore.enabled":   true,
		"config.jetstream.memoryStore.enabled": true,
	} {
		var keys []any
		for _, k := range strings.Split(path, ".") {
			keys = append(keys, k)
		}
		if got := dig(v, keys...); got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	readme := readFile(t, "deploy/README.md")
	for _, cmd := range []string{"helm repo add nats https://nats-io.github.io/k8s/helm/charts/", "helm install nats nats/nats"} {
		if !strings.Contains(readme, cmd) {
			t.Errorf("deploy/README.md does not say %q", cmd)
		}
	}
}
