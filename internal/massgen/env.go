package massgen

import (
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
)

// Paths inside the run directory that MassGen is pointed at.
const (
	// massgenLogBase is MASSGEN_LOG_BASE_DIR, relative to the run
	// directory, slash-separated.
	massgenLogBase = ".massgen/massgen_logs"
	// massgenHome is the job's HOME (MassGen writes ~/.massgen and
	// ~/.config/massgen), relative to the run directory.
	massgenHome = ".massgen/home"
	// deadProxy is an address nothing listens on: HTTPS requests sent
	// through it fail at once instead of waiting on the network.
	deadProxy = "http://127.0.0.1:9"
)

// jobEnv returns the environment of a MassGen job: base with
//
//   - HOME and MASSGEN_LOG_BASE_DIR inside runDir, so that the run's files
//     stay in the run and runs do not share state; PYTHONUSERBASE kept at
//     the caller's ~/.local (unless set) so a user-site install still
//     imports;
//   - LITELLM_LOCAL_MODEL_COST_MAP=True (no cost-map download) and
//     PYTHONUNBUFFERED=1 (a killed job leaves what it printed);
//   - VLLM_API_KEY kept when set and non-empty, else "EMPTY" (the vllm
//     backend needs some key; local servers ignore it);
//   - when modelURL is plain http: HTTPS_PROXY and https_proxy pointing at
//     a dead local port, so MassGen's pricing look-ups fail at once
//     instead of waiting on the network, and the model's host added to
//     NO_PROXY and no_proxy so the model is never proxied;
//   - COHOS_RUN_ID=runID.
func jobEnv(base []string, runDir, runID, modelURL string) []string {
	get := func(name string) (string, bool) {
		for i := len(base) - 1; i >= 0; i-- {
			if k, v, _ := strings.Cut(base[i], "="); k == name {
				return v, true
			}
		}
		return "", false
	}
	env := base
	if home, ok := get("HOME"); ok && home != "" && runtime.GOOS != "darwin" {
		if _, set := get("PYTHONUSERBASE"); !set {
			env = setEnv(env, "PYTHONUSERBASE", filepath.Join(home, ".local"))
		}
	}
	env = setEnv(env, "HOME", filepath.Join(runDir, filepath.FromSlash(massgenHome)))
	env = setEnv(env, "MASSGEN_LOG_BASE_DIR", filepath.Join(runDir, filepath.FromSlash(massgenLogBase)))
	env = setEnv(env, "LITELLM_LOCAL_MODEL_COST_MAP", "True")
	env = setEnv(env, "PYTHONUNBUFFERED", "1")
	if key, _ := get("VLLM_API_KEY"); key == "" {
		env = setEnv(env, "VLLM_API_KEY", "EMPTY")
	}
	if u, err := url.Parse(modelURL); err == nil && u.Scheme == "http" && u.Hostname() != "" {
		env = setEnv(env, "HTTPS_PROXY", deadProxy)
		env = setEnv(env, "https_proxy", deadProxy)
		for _, name := range []string{"NO_PROXY", "no_proxy"} {
			old, _ := get(name)
			env = setEnv(env, name, addHost(old, u.Hostname()))
		}
	}
	return setEnv(env, "COHOS_RUN_ID", runID)
}

// addHost returns the NO_PROXY list list with host added unless present.
func addHost(list, host string) string {
	for _, h := range strings.Split(list, ",") {
		if strings.TrimSpace(h) == host {
			return list
		}
	}
	if strings.TrimSpace(list) == "" {
		return host
	}
	return list + "," + host
}

// setEnv returns env with every entry named name replaced by one name=value
// at the end.
func setEnv(env []string, name, value string) []string {
	out := make([]string, 0, len(env)+1)
	for _, kv := range env {
		if k, _, _ := strings.Cut(kv, "="); k != name {
			out = append(out, kv)
		}
	}
	return append(out, name+"="+value)
}
