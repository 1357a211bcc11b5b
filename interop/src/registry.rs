//! The registry of peers (`interop/peers.toml`): every implementation the matrix runs, how to
//! build it and the command that plays the peer contract of `interop/SCENARIOS.md`, with the
//! deviations SPEC.md's interop notes explain.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::Role;
use crate::peer::Peer;

/// The registry file, relative to the repository root.
pub const REGISTRY: &str = "interop/peers.toml";

/// The name of the reference's entry: the pairs the matrix runs by default are the pairs with
/// it.
pub const REFERENCE: &str = "reference";

/// The registry as read from `interop/peers.toml`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    /// Every peer, in the order of the file (the grids' order).
    #[serde(rename = "peer")]
    pub peers: Vec<PeerSpec>,
}

/// One peer of the registry.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PeerSpec {
    /// Its name in the grids.
    pub name: String,
    /// The muxado implementation it runs.
    pub implementation: String,
    /// That implementation's version.
    pub version: String,
    /// Shell commands, run in order from the repository root, that build it into `{bin}`.
    #[serde(default)]
    pub build: Vec<String>,
    /// A shell command that plays the peer contract; the contract's arguments are appended.
    pub command: String,
    /// Failures that SPEC interop notes explain.
    #[serde(default, rename = "deviation")]
    pub deviations: Vec<Deviation>,
    /// Replay differences that SPEC interop notes explain.
    #[serde(default, rename = "replay")]
    pub replay: Vec<ReplayNote>,
}

/// A failure of a peer that a SPEC interop note explains.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Deviation {
    /// The scenario.
    pub scenario: String,
    /// The side the peer plays when it deviates: `client` or `server`.
    pub role: RoleName,
    /// The note (`INTEROP-13`).
    pub note: String,
    /// The counterparts it deviates against, by name prefix (none: every peer).
    #[serde(default)]
    pub against: Vec<String>,
    /// The counterparts it does not deviate against, by name prefix (a run with one of them
    /// must pass).
    #[serde(default)]
    pub except: Vec<String>,
    /// The run may also pass (the deviation depends on timing).
    #[serde(default)]
    pub sometimes: bool,
    /// The note explains the streams a `burst` server refused (the run passes on both
    /// sides otherwise), not a failure; whether any are refused depends on timing.
    #[serde(default)]
    pub refusals: bool,
}

/// `client` or `server`, as the registry spells roles.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum RoleName {
    /// The muxado client.
    Client,
    /// The muxado server.
    Server,
}

impl RoleName {
    /// The muxado role.
    pub fn role(self) -> Role {
        match self {
            RoleName::Client => Role::Client,
            RoleName::Server => Role::Server,
        }
    }
}

/// A replay difference a note explains: the live peer sent nothing of `topic` where the
/// transcript has frames.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ReplayNote {
    /// `goaway`, `stream`, `other` or `transport`.
    pub topic: String,
    /// The note.
    pub note: String,
}

impl Deviation {
    /// Whether this deviation is the one of `scenario` played as `role` against `counterpart`.
    pub fn applies(&self, scenario: &str, role: Role, counterpart: &str) -> bool {
        let named =
            |prefixes: &[String]| prefixes.iter().any(|p| counterpart.starts_with(p.as_str()));
        self.scenario == scenario
            && self.role.role() == role
            && (self.against.is_empty() || named(&self.against))
            && !named(&self.except)
    }
}

/// What the registry's placeholders stand for.
#[derive(Clone, Debug)]
pub struct Places {
    /// `{root}`: the repository root.
    pub root: PathBuf,
    /// `{bin}`: where the peers are built.
    pub bin: PathBuf,
    /// `{interop}`: the `muxado-interop` program.
    pub interop: PathBuf,
}

impl Places {
    /// `text` with the placeholders replaced (paths quoted for the shell).
    pub fn expand(&self, text: &str) -> String {
        text.replace("{root}", &quote(&self.root))
            .replace("{bin}", &quote(&self.bin))
            .replace("{interop}", &quote(&self.interop))
    }
}

/// A path as one shell word.
fn quote(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+:=@%,".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

impl Registry {
    /// Parses a registry; names must be unique and not empty.
    pub fn parse(text: &str) -> Result<Registry, String> {
        let registry: Registry = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut seen = std::collections::BTreeSet::new();
        for peer in &registry.peers {
            if peer.name.is_empty() || peer.name.contains(char::is_whitespace) {
                return Err(format!("bad peer name {:?}", peer.name));
            }
            if !seen.insert(peer.name.as_str()) {
                return Err(format!("peer {} is registered twice", peer.name));
            }
            for d in &peer.deviations {
                if !crate::scenario::SCENARIOS.contains(&d.scenario.as_str()) {
                    return Err(format!(
                        "peer {}: deviation in unknown scenario {:?}",
                        peer.name, d.scenario
                    ));
                }
            }
        }
        Ok(registry)
    }

    /// Reads `interop/peers.toml` under `root`.
    pub fn load(root: &Path) -> Result<Registry, String> {
        let path = root.join(REGISTRY);
        let text =
            std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        Registry::parse(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    /// The peers, ready to start, with the placeholders of their commands replaced.
    pub fn peers(&self, places: &Places) -> Vec<Peer> {
        self.peers
            .iter()
            .map(|spec| Peer {
                name: spec.name.clone(),
                implementation: spec.implementation.clone(),
                version: spec.version.clone(),
                command: places.expand(&spec.command),
                deviations: spec.deviations.clone(),
                replay: spec.replay.clone(),
            })
            .collect()
    }

    /// Runs the build commands of the peers named `names` (all when empty), each distinct
    /// command once, from `places.root`, after creating `places.bin`.
    pub fn build(&self, places: &Places, names: &[String]) -> Result<(), String> {
        std::fs::create_dir_all(&places.bin)
            .map_err(|e| format!("{}: {e}", places.bin.display()))?;
        let mut done: Vec<String> = Vec::new();
        for spec in &self.peers {
            if !names.is_empty() && !names.contains(&spec.name) {
                continue;
            }
            for step in &spec.build {
                let step = places.expand(step);
                if done.contains(&step) {
                    continue;
                }
                let mut sh = std::process::Command::new("sh");
                sh.current_dir(&places.root).arg("-c").arg(&step);
                if let Ok(cargo) = std::env::var("CARGO") {
                    sh.env("PATH", with_cargo_on_path(&cargo));
                }
                let status = sh
                    .status()
                    .map_err(|e| format!("{}: {step}: {e}", spec.name))?;
                if !status.success() {
                    return Err(format!("{}: {step}: {status}", spec.name));
                }
                done.push(step);
            }
        }
        Ok(())
    }
}

/// `PATH` with the directory of the `cargo` that runs us first, so that a build step's `cargo`
/// is the same one.
fn with_cargo_on_path(cargo: &str) -> std::ffi::OsString {
    let mut dirs: Vec<PathBuf> = Path::new(cargo)
        .parent()
        .map(Path::to_path_buf)
        .into_iter()
        .collect();
    if let Some(path) = std::env::var_os("PATH") {
        dirs.extend(std::env::split_paths(&path));
    }
    std::env::join_paths(dirs).unwrap_or_default()
}

/// Parses `NAME=COMMAND` (`--peer-cmd`) into a peer with no registered deviations.
pub fn peer_cmd(arg: &str) -> Result<Peer, String> {
    let (name, command) = arg
        .split_once('=')
        .ok_or_else(|| format!("--peer-cmd {arg:?}: expected NAME=COMMAND"))?;
    let name = name.trim();
    if name.is_empty() || name.contains(char::is_whitespace) || command.trim().is_empty() {
        return Err(format!("--peer-cmd {arg:?}: expected NAME=COMMAND"));
    }
    Ok(Peer {
        name: name.to_string(),
        implementation: "given by --peer-cmd".into(),
        version: String::new(),
        command: command.to_string(),
        deviations: Vec::new(),
        replay: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn places() -> Places {
        Places {
            root: PathBuf::from("/r"),
            bin: PathBuf::from("/b in"),
            interop: PathBuf::from("/x/muxado-interop"),
        }
    }

    /// The registry in the repository parses, holds the reference and the four foreign
    /// implementations, and every deviation it registers names an interop note.
    ///
    /// checks: tooling
    #[test]
    fn the_repository_registry_holds_every_builtin_peer() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let registry = Registry::load(&root).unwrap();
        let names: Vec<&str> = registry.peers.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            [REFERENCE, "go-2016", "go-v2.0.1", "go-v2.0.2", "ngrok-rust"]
        );
        for peer in &registry.peers {
            for d in &peer.deviations {
                assert!(d.note.starts_with("INTEROP-"), "{}: {d:?}", peer.name);
            }
        }
        let peers = registry.peers(&places());
        assert_eq!(peers[0].command, "exec /x/muxado-interop peer");
        assert_eq!(peers[1].command, "exec '/b in'/go-peer-v2.0.2 --impl 2016");
    }

    /// A duplicate name, an unknown field or an unknown scenario is refused.
    ///
    /// checks: tooling
    #[test]
    fn a_bad_registry_is_refused() {
        let one =
            "[[peer]]\nname = \"a\"\nimplementation = \"i\"\nversion = \"1\"\ncommand = \"c\"\n";
        assert!(Registry::parse(one).is_ok());
        assert!(Registry::parse(&format!("{one}{one}")).is_err());
        assert!(Registry::parse(&format!("{one}colour = \"red\"\n")).is_err());
        let deviation =
            "[[peer.deviation]]\nscenario = \"nope\"\nrole = \"client\"\nnote = \"INTEROP-1\"\n";
        assert!(Registry::parse(&format!("{one}{deviation}")).is_err());
    }

    /// `--peer-cmd NAME=COMMAND` keeps everything after the first `=` as the command.
    ///
    /// checks: tooling
    #[test]
    fn peer_cmd_splits_at_the_first_equals_sign() {
        let peer = peer_cmd("mine=exec ./peer --x=1").unwrap();
        assert_eq!(peer.name, "mine");
        assert_eq!(peer.command, "exec ./peer --x=1");
        assert!(peer_cmd("no-command").is_err());
        assert!(peer_cmd("=exec x").is_err());
        assert!(peer_cmd("two words=exec x").is_err());
    }

    /// A deviation applies to its scenario and role, against the counterparts it names.
    ///
    /// checks: tooling
    #[test]
    fn a_deviation_applies_to_its_scenario_role_and_counterparts() {
        let d = Deviation {
            scenario: "burst".into(),
            role: RoleName::Server,
            note: "INTEROP-27".into(),
            against: vec!["go-".into()],
            except: vec!["go-2016".into()],
            sometimes: false,
            refusals: false,
        };
        assert!(d.applies("burst", Role::Server, "go-v2.0.2"));
        assert!(!d.applies("burst", Role::Server, "go-2016"));
        assert!(!d.applies("burst", Role::Server, "reference"));
        assert!(!d.applies("burst", Role::Client, "go-v2.0.2"));
        assert!(!d.applies("echo", Role::Server, "go-v2.0.2"));
    }
}
