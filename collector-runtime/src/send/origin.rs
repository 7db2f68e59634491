//! Origin detection: the DogStatsD fields that let the Agent tag a metric with
//! the container it came from.
//!
//! The Agent can only add container tags (image, pod, service, ...) when a
//! datagram says which container sent it. The official clients find that out
//! once, at start-up, and append the same fields to every metric line:
//!
//! - `|c:<container-id>`: from `/proc/self/cgroup`, else from
//!   `/proc/self/mountinfo`, else (outside the host's cgroup namespace) the
//!   cgroup node's inode as `in-<inode>`, which the Agent maps back to a
//!   container;
//! - `|e:<external-data>`: `DD_EXTERNAL_ENV`, which the Agent's admission
//!   controller injects into Kubernetes pods (`it-false,cn-app,pu-<pod-uid>`);
//! - `|card:<cardinality>`: `DD_CARDINALITY`, else `DATADOG_CARDINALITY`, when
//!   it names a valid tag cardinality.
//!
//! `DD_ORIGIN_DETECTION_ENABLED` set to a false value drops the first two and
//! keeps the third.
//!
//! Every rule here follows datadog-go (`statsd/container_linux.go`,
//! `external_env.go`, `tag_cardinality.go`, `isOriginDetectionEnabled` in
//! `statsdex.go`), so a process is tagged the same whichever client it uses.
//! The fields follow the tags, in the order datadog-go writes them and
//! Datadog's datagram format lists them (protocol v1.2, v1.5, v1.6):
//! `name:value|type|@rate|#tags|c:<id>|e:<external>|card:<cardinality>`.
//! (datadog-go puts a `|T<timestamp>` between `|e:` and `|card:`; where it
//! goes relative to this suffix is the line writer's choice.)

use std::path::{Path, PathBuf};

/// Where the kernel lists the cgroups this process belongs to.
const CGROUP_PATH: &str = "/proc/self/cgroup";

/// Where the kernel lists this process's mounts: the second place a container
/// ID can show up, when a private cgroup namespace hides it from
/// [`CGROUP_PATH`] (cgroup v2 with Docker's or Podman's defaults).
const MOUNTINFO_PATH: &str = "/proc/self/mountinfo";

/// Where cgroup file systems are mounted: the root under which the inode
/// fallback looks up this process's cgroup node.
const CGROUP_MOUNT: &str = "/sys/fs/cgroup";

/// This process's cgroup namespace; its inode tells the host's namespace from
/// a private one.
const CGROUP_NS_PATH: &str = "/proc/self/ns/cgroup";

/// The inode the kernel gives the initial (host) cgroup namespace
/// (`PROC_CGROUP_INIT_INO` in `include/linux/proc_ns.h`). In that namespace
/// `/proc/self/cgroup` shows full paths, so an ID not found there does not
/// exist and the inode fallback would only name a host cgroup: skip it.
const HOST_CGROUP_NS_INODE: u64 = 0xEFFF_FFFB;

/// The cgroup v1 controller whose node the inode fallback uses, as the
/// official clients do: every container runtime creates one for it.
const V1_INODE_CONTROLLER: &str = "memory";

/// The environment variable that turns origin detection off.
const ENABLED_VAR: &str = "DD_ORIGIN_DETECTION_ENABLED";

/// The environment variable holding the admission controller's external data.
const EXTERNAL_ENV_VAR: &str = "DD_EXTERNAL_ENV";

/// The environment variables naming the tag cardinality, in the order they
/// are tried.
const CARDINALITY_VARS: [&str; 2] = ["DD_CARDINALITY", "DATADOG_CARDINALITY"];

/// The DogStatsD origin fields of this process, found once and rendered once,
/// since they are the same on every line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Origin {
    /// A container ID, or `in-<inode>` of this process's cgroup node.
    container_id: Option<String>,
    /// `DD_EXTERNAL_ENV`, with what could break a line removed.
    external_data: Option<String>,
    /// One of `none`, `low`, `orchestrator`, `high`.
    cardinality: Option<&'static str>,
    /// `|c:...|e:...|card:...`, each field only when known: what every line
    /// gets appended.
    suffix: String,
}

impl Origin {
    /// No origin fields.
    #[cfg(test)]
    pub(crate) fn none() -> Origin {
        Origin::new(None, None, None)
    }

    /// Detects the origin of this process from its environment and, on Linux,
    /// from `/proc` and `/sys/fs/cgroup`. Each file is read at most once; call
    /// this once and keep the result, as the official clients do.
    pub(crate) fn from_env() -> Origin {
        let lookup = |name: &str| {
            // Lossy like Go's `os.Getenv`, which hands over any bytes: an
            // invalid sequence becomes U+FFFD rather than hiding the value.
            std::env::var_os(name).map(|v| v.to_string_lossy().into_owned())
        };
        Origin::detect(&lookup, &system::read, &system::inode)
    }

    /// [`Origin::from_env`] with the environment, the file reader and the
    /// inode lookup passed in, so every rule can be tested against fixtures.
    /// `read` returns a file's contents, `inode` the inode of a path (following
    /// symbolic links), each `None` when the path cannot be read.
    pub(crate) fn detect(
        lookup: &dyn Fn(&str) -> Option<String>,
        read: &dyn Fn(&Path) -> Option<String>,
        inode: &dyn Fn(&Path) -> Option<u64>,
    ) -> Origin {
        // An empty variable counts as unset, as with Go's `os.Getenv`.
        let var = |name: &str| lookup(name).filter(|v| !v.is_empty());
        let enabled = detection_enabled(var(ENABLED_VAR).as_deref());
        // datadog-go's switch covers the container ID and the external data
        // (`fillInContainerID`, `appendExternalEnv`), not the cardinality.
        let container_id = if enabled {
            container_id(read, inode)
        } else {
            None
        };
        let external_data = if enabled {
            var(EXTERNAL_ENV_VAR)
                .map(|v| sanitize_external_data(&v))
                .filter(|v| !v.is_empty())
        } else {
            None
        };
        let cardinality = CARDINALITY_VARS
            .iter()
            .find_map(|name| var(name).and_then(|v| parse_cardinality(&v)));
        Origin::new(container_id, external_data, cardinality)
    }

    /// Fields given as they are, for the line writer's tests.
    #[cfg(test)]
    pub(crate) fn for_tests(
        container_id: Option<&str>,
        external_data: Option<&str>,
        cardinality: Option<&'static str>,
    ) -> Origin {
        Origin::new(
            container_id.map(str::to_owned),
            external_data.map(str::to_owned),
            cardinality,
        )
    }

    /// Renders the suffix once, so writing a line costs one copy.
    fn new(
        container_id: Option<String>,
        external_data: Option<String>,
        cardinality: Option<&'static str>,
    ) -> Origin {
        let mut suffix = String::new();
        for (prefix, value) in [
            ("|c:", container_id.as_deref()),
            ("|e:", external_data.as_deref()),
            ("|card:", cardinality),
        ] {
            if let Some(value) = value {
                suffix.push_str(prefix);
                suffix.push_str(value);
            }
        }
        Origin {
            container_id,
            external_data,
            cardinality,
            suffix,
        }
    }

    /// This process's origin, detected on first use and kept.
    pub(crate) fn of_this_process() -> &'static Origin {
        static DETECTED: std::sync::OnceLock<Origin> = std::sync::OnceLock::new();
        DETECTED.get_or_init(Origin::from_env)
    }

    /// What to append to every metric line, e.g.
    /// `|c:<id>|e:it-false,cn-app,pu-<uid>|card:low`; empty when nothing is
    /// known. It never contains a line break.
    pub(crate) fn suffix(&self) -> &str {
        &self.suffix
    }
}

/// The real file system, kept apart so [`Origin::detect`] sees only closures.
mod system {
    use std::path::Path;

    /// A file's contents; lossy so one stray byte in a path does not discard
    /// the whole file (Go reads these files as bytes).
    #[cfg(target_os = "linux")]
    pub(super) fn read(path: &Path) -> Option<String> {
        std::fs::read(path)
            .ok()
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The inode `stat` (not `lstat`) reports, as Go's `os.Stat`: the
    /// namespace link must be followed to the namespace itself.
    #[cfg(target_os = "linux")]
    pub(super) fn inode(path: &Path) -> Option<u64> {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(path).ok().map(|m| m.ino())
    }

    /// Cgroups are Linux-only: elsewhere datadog-go detects no container, and
    /// neither does this.
    #[cfg(not(target_os = "linux"))]
    pub(super) fn read(_: &Path) -> Option<String> {
        None
    }

    /// See [`read`]: no cgroups, no inode fallback.
    #[cfg(not(target_os = "linux"))]
    pub(super) fn inode(_: &Path) -> Option<u64> {
        None
    }
}

/// The container ID, trying in turn what datadog-go's `readCIDOrInode` tries:
/// an ID in `/proc/self/cgroup`, an ID in `/proc/self/mountinfo`, and, outside
/// the host's cgroup namespace, `in-<inode>` of the cgroup node.
fn container_id(
    read: &dyn Fn(&Path) -> Option<String>,
    inode: &dyn Fn(&Path) -> Option<u64>,
) -> Option<String> {
    // Read once: both the ID search and the inode fallback use it.
    let cgroup = read(Path::new(CGROUP_PATH));
    if let Some(id) = cgroup.as_deref().and_then(container_id_from_cgroup) {
        return Some(id.to_owned());
    }
    if let Some(mountinfo) = read(Path::new(MOUNTINFO_PATH)) {
        if let Some(id) = container_id_from_mountinfo(&mountinfo) {
            return Some(id.to_owned());
        }
    }
    // A namespace whose inode cannot be read counts as private, as in
    // datadog-go's `isHostCgroupNamespace`.
    if inode(Path::new(CGROUP_NS_PATH)) == Some(HOST_CGROUP_NS_INODE) {
        return None;
    }
    inode_paths(&cgroup?, CGROUP_MOUNT)
        .iter()
        .find_map(|path| inode(path))
        .map(|ino| format!("in-{ino}"))
}

/// The container ID in the contents of `/proc/self/cgroup`: the first line of
/// the form `<hierarchy>:<controllers>:<path>` whose path ends with an ID
/// (see [`id_at_end_of_path`]). Covers cgroup v1 (`4:memory:/docker/<id>`)
/// and v2 (`0::/system.slice/docker-<id>.scope`).
pub(crate) fn container_id_from_cgroup(contents: &str) -> Option<&str> {
    contents
        .lines()
        .filter_map(cgroup_line_path)
        .find_map(id_at_end_of_path)
}

/// The path of a `/proc/self/cgroup` line: after a decimal hierarchy ID and
/// the controller list (which has no `:`), and not empty. The path keeps any
/// later `:`, as datadog-go's `^\d+:[^:]*:(.+)$` does.
fn cgroup_line_path(line: &str) -> Option<&str> {
    let (hierarchy, rest) = line.split_once(':')?;
    if hierarchy.is_empty() || !hierarchy.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (_controllers, path) = rest.split_once(':')?;
    (!path.is_empty()).then_some(path)
}

/// The ID a cgroup path ends with, optionally followed by one character and
/// `scope` (`docker-<id>.scope`, `cri-containerd-<id>.scope`,
/// `crio-<id>.scope`, `libpod-<id>.scope`). Three shapes count, all lowercase
/// hex: 64 digits (Docker, containerd, CRI-O, Podman), 32 digits, `-` and a
/// decimal number (ECS Fargate tasks), and the 8-4-4-4-12 UUID shape with `-`
/// or `_` between groups (Garden and others). Where several readings fit,
/// the one starting earliest wins, as in datadog-go's unanchored
/// `(<uuid>|<64 hex>|<32 hex>-\d+)(?:.scope)?$`; so a path ending in 65 hex
/// digits gives its last 64.
fn id_at_end_of_path(path: &str) -> Option<&str> {
    let bytes = path.as_bytes();
    let mut ends = vec![bytes.len()];
    if let Some(stem) = path.strip_suffix("scope") {
        // `.` in the pattern: any one character, not only a dot.
        if let Some((at, _)) = stem.char_indices().next_back() {
            ends.push(at);
        }
    }
    let found = ends.into_iter().flat_map(|end| {
        let head = &bytes[..end];
        [uuid_start(head), hex64_start(head), task_start(head)]
            .into_iter()
            .flatten()
            .map(move |start| (start, end))
    });
    // Every matched byte is ASCII, so both ends are character boundaries.
    found
        .min_by_key(|&(start, _)| start)
        .map(|(start, end)| &path[start..end])
}

/// Whether `b` is a lowercase hex digit, the only case the ID shapes accept.
fn is_hex(b: u8) -> bool {
    b.is_ascii_digit() || (b'a'..=b'f').contains(&b)
}

/// Where a UUID-shaped ID (8-4-4-4-12 hex, `-` or `_` between groups) ending
/// `head` starts.
fn uuid_start(head: &[u8]) -> Option<usize> {
    const GROUPS: [usize; 5] = [8, 4, 4, 4, 12];
    let start = head.len().checked_sub(36)?;
    let mut at = start;
    for (i, len) in GROUPS.into_iter().enumerate() {
        if i > 0 {
            if !matches!(head[at], b'-' | b'_') {
                return None;
            }
            at += 1;
        }
        if !head[at..at + len].iter().all(|&b| is_hex(b)) {
            return None;
        }
        at += len;
    }
    Some(start)
}

/// Where a 64-hex-digit ID ending `head` starts.
fn hex64_start(head: &[u8]) -> Option<usize> {
    let start = head.len().checked_sub(64)?;
    head[start..].iter().all(|&b| is_hex(b)).then_some(start)
}

/// Where an ECS task-shaped ID (32 hex digits, `-`, decimal digits) ending
/// `head` starts.
fn task_start(head: &[u8]) -> Option<usize> {
    let digits = head.iter().rev().take_while(|b| b.is_ascii_digit()).count();
    let dash = head.len().checked_sub(digits + 1)?;
    if digits == 0 || head[dash] != b'-' {
        return None;
    }
    let start = dash.checked_sub(32)?;
    head[start..dash]
        .iter()
        .all(|&b| is_hex(b))
        .then_some(start)
}

/// The container ID in the contents of `/proc/self/mountinfo`, for when a
/// private cgroup namespace shows `0::/` in `/proc/self/cgroup`. Runtimes
/// bind-mount a per-container `hostname` file from a directory named by the
/// ID (`/var/lib/docker/containers/<id>/hostname`,
/// `.../overlay-containers/<id>/userdata/hostname`), so the first line with
/// such a source names the container. containerd's `sandboxes/<id>` is the
/// pod sandbox, not this container, and is skipped. Only the 64-hex and ECS
/// task shapes count here, as in datadog-go (its UUID branch cannot match).
pub(crate) fn container_id_from_mountinfo(contents: &str) -> Option<&str> {
    contents
        .lines()
        .filter_map(mountinfo_line_id)
        .find(|&(dir, _)| dir != "sandboxes")
        .map(|(_, id)| id)
}

/// On one mountinfo line, the rightmost `/<dir>/<id>/` followed, before any
/// white space, by `hostname`: what datadog-go's greedy
/// `.*/([^\s/]+)/(<id>)/\S*hostname` picks. Returns the directory and the ID.
fn mountinfo_line_id(line: &str) -> Option<(&str, &str)> {
    let slashes: Vec<usize> = line.match_indices('/').map(|(i, _)| i).collect();
    slashes.windows(3).rev().find_map(|w| {
        let (dir, id, tail) = (
            &line[w[0] + 1..w[1]],
            &line[w[1] + 1..w[2]],
            &line[w[2] + 1..],
        );
        let dir_ok = !dir.is_empty() && !dir.bytes().any(is_go_space);
        let run = &tail[..tail.bytes().position(is_go_space).unwrap_or(tail.len())];
        (dir_ok && is_mountinfo_id(id) && run.contains("hostname")).then_some((dir, id))
    })
}

/// White space as Go's regexp `\s` means it (no vertical tab).
fn is_go_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

/// Whether a whole path segment is a 64-hex-digit ID or an ECS task ID.
fn is_mountinfo_id(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    hex64_start(bytes) == Some(0) || task_start(bytes) == Some(0)
}

/// The paths whose inode names this process's cgroup node, in the order
/// datadog-go's `getCgroupInode` tries them: the v1 `memory` controller's
/// node under `<mount>/memory`, then the v2 node under `<mount>`. Lines are
/// taken only when they have exactly three `:`-separated fields; the last
/// line for a controller wins. Paths are cleaned as Go's `path.Join` does,
/// so `0::/` gives the mount itself.
pub(crate) fn inode_paths(cgroup: &str, mount: &str) -> Vec<PathBuf> {
    let mut memory = None;
    let mut unified = None;
    for line in cgroup.lines() {
        let mut fields = line.split(':');
        let (Some(_), Some(controller), Some(node), None) =
            (fields.next(), fields.next(), fields.next(), fields.next())
        else {
            continue;
        };
        match controller {
            V1_INODE_CONTROLLER => memory = Some(node),
            "" => unified = Some(node),
            _ => {}
        }
    }
    let mut paths = Vec::new();
    if let Some(node) = memory {
        paths.push(join_clean(&[mount, V1_INODE_CONTROLLER, node]));
    }
    if let Some(node) = unified {
        paths.push(join_clean(&[mount, node]));
    }
    paths
}

/// Joins `parts` with `/` and resolves `.`, `..` and repeated `/` lexically,
/// as Go's `path.Join` does. Unlike `Path::join`, an absolute part does not
/// replace what comes before it, and `..` never climbs above `/`.
fn join_clean(parts: &[&str]) -> PathBuf {
    let mut kept: Vec<&str> = Vec::new();
    for segment in parts.iter().flat_map(|p| p.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                kept.pop();
            }
            _ => kept.push(segment),
        }
    }
    PathBuf::from(format!("/{}", kept.join("/")))
}

/// Whether `DD_ORIGIN_DETECTION_ENABLED` leaves detection on. Only the values
/// Go's `strconv.ParseBool` reads as false turn it off (`0`, `f`, `F`,
/// `false`, `FALSE`, `False`); unset, true or unparsable values leave it on,
/// as in datadog-go's `isOriginDetectionEnabled`.
pub(crate) fn detection_enabled(value: Option<&str>) -> bool {
    !matches!(value, Some("0" | "f" | "F" | "false" | "FALSE" | "False"))
}

/// `DD_EXTERNAL_ENV` made safe for the `|e:` field: datadog-go's
/// `sanitizeExternalEnv` keeps only what Go's `unicode.IsPrint` accepts, minus
/// `|`. That removes `|` (a new field) and every control character, line
/// break and non-space blank (a new line, or a value the Agent would split).
/// `,`, `#` and `:` stay: inside a field they are plain text.
pub(crate) fn sanitize_external_data(value: &str) -> String {
    value.chars().filter(|&c| c != '|' && is_print(c)).collect()
}

/// Go's `unicode.IsPrint`: letters, marks, numbers, punctuation, symbols and
/// the ASCII space. Without Unicode tables in std, it is computed by
/// exclusion: control characters, every blank but the space, format
/// characters (Unicode 15.0's `Cf`, as in Go's tables) and private-use
/// characters. Unassigned code points are kept, where Go drops them; none of
/// them can end a field or a line.
fn is_print(c: char) -> bool {
    if c.is_ascii() {
        return c == ' ' || c.is_ascii_graphic();
    }
    !(c.is_control() || c.is_whitespace() || is_format(c) || is_private_use(c))
}

/// Unicode 15.0's format characters (`Cf`): invisible, and some (bidi
/// overrides, zero-width ones) can disguise what a value says.
fn is_format(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{600}'..='\u{605}'
            | '\u{61C}'
            | '\u{6DD}'
            | '\u{70F}'
            | '\u{890}'..='\u{891}'
            | '\u{8E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// The private-use planes and block (`Co`), which Go does not count as
/// printable.
fn is_private_use(c: char) -> bool {
    matches!(
        c,
        '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}'
    )
}

/// A tag cardinality the Agent knows, compared case-insensitively as
/// datadog-go's `validateCardinality` does (`strings.ToLower`, then an exact
/// match: no trimming). Anything else is ignored, so the next variable is
/// tried and, failing that, no `|card:` field is sent.
pub(crate) fn parse_cardinality(value: &str) -> Option<&'static str> {
    // Go lowercases rune by rune; the only non-ASCII runes that become ASCII
    // letters are U+0130 (to `i`) and the Kelvin sign (to `k`).
    let lower = value.chars().map(|c| match c {
        '\u{130}' => 'i',
        '\u{212A}' => 'k',
        c => c.to_ascii_lowercase(),
    });
    ["none", "low", "orchestrator", "high"]
        .into_iter()
        .find(|name| lower.clone().eq(name.chars()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::collections::HashMap;

    /// One fixture per shape, named after the file it stands in for.
    mod fixture {
        pub(super) const V1_DOCKER: &str = include_str!("origin/fixtures/cgroup_v1_docker.txt");
        pub(super) const V1_KUBEPODS: &str = include_str!("origin/fixtures/cgroup_v1_kubepods.txt");
        pub(super) const V1_ECS_EC2: &str = include_str!("origin/fixtures/cgroup_v1_ecs_ec2.txt");
        pub(super) const V1_ECS_FARGATE: &str =
            include_str!("origin/fixtures/cgroup_v1_ecs_fargate.txt");
        pub(super) const V1_GARDEN: &str = include_str!("origin/fixtures/cgroup_v1_garden.txt");
        pub(super) const V2_DOCKER_SCOPE: &str =
            include_str!("origin/fixtures/cgroup_v2_docker_scope.txt");
        pub(super) const V2_CONTAINERD: &str =
            include_str!("origin/fixtures/cgroup_v2_containerd.txt");
        pub(super) const V2_CRIO: &str = include_str!("origin/fixtures/cgroup_v2_crio.txt");
        pub(super) const V2_PODMAN: &str = include_str!("origin/fixtures/cgroup_v2_podman.txt");
        pub(super) const V2_PODMAN_NESTED: &str =
            include_str!("origin/fixtures/cgroup_v2_podman_nested.txt");
        pub(super) const V2_HOST_ROOT: &str =
            include_str!("origin/fixtures/cgroup_v2_host_root.txt");
        pub(super) const V2_HOST_INIT: &str =
            include_str!("origin/fixtures/cgroup_v2_host_init.txt");
        pub(super) const HYBRID_NO_ID: &str =
            include_str!("origin/fixtures/cgroup_hybrid_no_id.txt");
        pub(super) const MOUNTINFO_DOCKER_V2: &str =
            include_str!("origin/fixtures/mountinfo_docker_v2.txt");
        pub(super) const MOUNTINFO_CONTAINERD_SANDBOX: &str =
            include_str!("origin/fixtures/mountinfo_containerd_sandbox.txt");
        pub(super) const MOUNTINFO_PODMAN_ROOTLESS: &str =
            include_str!("origin/fixtures/mountinfo_podman_rootless.txt");
    }

    const DOCKER_ID: &str = "3595c4cf60e6c2cd6a2b02fecfc61e73f92f62f76aec8b02e3d966de062f17f7";
    const KUBEPODS_ID: &str = "7d9ccef2a57c6b71396b56634cc7a4a680f0705676a12e38cba9af5f2f752965";
    const SCOPE_ID: &str = "a9af616115841331f6b7d67716747370b10fafbb26aaaa181cef8b1c1e555ab1";
    const CONTAINERD_ID: &str = "acf986abb7689f69dc74549097ea43b0eedcc0cfb81c0b5588a48ef62c2871cb";
    const CRIO_ID: &str = "9675edde4c2d1b8ceebb34a0202002221d5d6fb45aac3a8f75d3b9a1afda5160";
    const PODMAN_ID: &str = "39aa012696c9a455569c57da4895214b6ff094ccf04bb3941f390da0667cb65d";
    const ECS_EC2_ID: &str = "fe8015ab8aa06b0d7ef484189370314a8617e47290cbcbd76fa0de169f44adee";
    const FARGATE_ID: &str = "c47a5f07d469c9dbc639314b2895bbaf-2934567891";
    const GARDEN_ID: &str = "b79fcc0a-9014-43a6-a9e7-46e4c95039b4";
    const MOUNTINFO_DOCKER_ID: &str =
        "4ac6d84d6363ed44d9459573f2597977c5d4a29acfb73b47b1e7005724426b06";

    /// A fake machine: environment, files and inodes, with every file read
    /// counted so tests can check nothing is read twice.
    #[derive(Default)]
    struct Machine {
        env: HashMap<&'static str, String>,
        files: HashMap<&'static str, &'static str>,
        inodes: HashMap<PathBuf, u64>,
        reads: RefCell<Vec<PathBuf>>,
    }

    impl Machine {
        fn env(mut self, name: &'static str, value: &str) -> Machine {
            self.env.insert(name, value.to_owned());
            self
        }

        fn cgroup(mut self, contents: &'static str) -> Machine {
            self.files.insert(CGROUP_PATH, contents);
            self
        }

        fn mountinfo(mut self, contents: &'static str) -> Machine {
            self.files.insert(MOUNTINFO_PATH, contents);
            self
        }

        fn inode(mut self, path: &str, ino: u64) -> Machine {
            self.inodes.insert(PathBuf::from(path), ino);
            self
        }

        /// In the host's cgroup namespace.
        fn host_namespace(self) -> Machine {
            self.inode(CGROUP_NS_PATH, HOST_CGROUP_NS_INODE)
        }

        fn detect(&self) -> Origin {
            let origin = Origin::detect(
                &|name| self.env.get(name).cloned(),
                &|path| {
                    self.reads.borrow_mut().push(path.to_owned());
                    self.files.get(path.to_str()?).map(|s| (*s).to_owned())
                },
                &|path| self.inodes.get(path).copied(),
            );
            let reads = self.reads.borrow();
            for path in reads.iter() {
                let times = reads.iter().filter(|p| *p == path).count();
                assert_eq!(times, 1, "{} read {times} times", path.display());
            }
            assert_well_formed(origin.suffix());
            origin
        }
    }

    /// A suffix that cannot break a line: empty, or `|`-separated `c:`, `e:`
    /// and `card:` fields in that order, each at most once, with no control
    /// character anywhere, an ID-shaped `c:` and a known `card:`.
    fn assert_well_formed(suffix: &str) {
        if suffix.is_empty() {
            return;
        }
        assert!(suffix.starts_with('|'), "{suffix:?}");
        assert!(!suffix.chars().any(char::is_control), "{suffix:?}");
        let mut order = Vec::new();
        for field in suffix[1..].split('|') {
            let (key, value) = field.split_once(':').expect(field);
            assert!(!value.is_empty(), "{suffix:?}");
            match key {
                "c" => {
                    let id_shaped = match value.strip_prefix("in-") {
                        Some(inode) => inode.bytes().all(|b| b.is_ascii_digit()),
                        None => value.bytes().all(|b| is_hex(b) || b == b'-' || b == b'_'),
                    };
                    assert!(id_shaped, "{suffix:?}");
                }
                "e" => assert!(value.chars().all(is_print), "{suffix:?}"),
                "card" => assert!(parse_cardinality(value) == Some(value), "{suffix:?}"),
                _ => panic!("unknown field {field:?} in {suffix:?}"),
            }
            order.push(["c", "e", "card"].iter().position(|k| *k == key).unwrap());
        }
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{suffix:?}");
    }

    fn id(machine: Machine) -> Option<String> {
        machine.detect().container_id
    }

    #[test]
    fn cgroup_v1_docker() {
        assert_eq!(
            container_id_from_cgroup(fixture::V1_DOCKER),
            Some(DOCKER_ID)
        );
        let origin = Machine::default().cgroup(fixture::V1_DOCKER).detect();
        assert_eq!(origin.suffix(), format!("|c:{DOCKER_ID}"));
    }

    #[test]
    fn cgroup_v1_kubepods() {
        assert_eq!(
            container_id_from_cgroup(fixture::V1_KUBEPODS),
            Some(KUBEPODS_ID)
        );
        assert_eq!(
            id(Machine::default().cgroup(fixture::V1_KUBEPODS)).as_deref(),
            Some(KUBEPODS_ID)
        );
    }

    #[test]
    fn cgroup_v2_docker_scope() {
        assert_eq!(
            container_id_from_cgroup(fixture::V2_DOCKER_SCOPE),
            Some(SCOPE_ID)
        );
        assert_eq!(
            id(Machine::default().cgroup(fixture::V2_DOCKER_SCOPE)).as_deref(),
            Some(SCOPE_ID)
        );
    }

    #[test]
    fn cgroup_v2_containerd() {
        assert_eq!(
            container_id_from_cgroup(fixture::V2_CONTAINERD),
            Some(CONTAINERD_ID)
        );
    }

    #[test]
    fn cgroup_v2_crio() {
        assert_eq!(container_id_from_cgroup(fixture::V2_CRIO), Some(CRIO_ID));
    }

    #[test]
    fn cgroup_v2_podman() {
        assert_eq!(
            container_id_from_cgroup(fixture::V2_PODMAN),
            Some(PODMAN_ID)
        );
    }

    /// Podman with a container sub-cgroup: the path no longer ends with the
    /// ID, so (as in datadog-go) the cgroup gives nothing and mountinfo's
    /// `overlay-containers/<id>/userdata/hostname` does.
    #[test]
    fn cgroup_v2_podman_nested_falls_back_to_mountinfo() {
        assert_eq!(container_id_from_cgroup(fixture::V2_PODMAN_NESTED), None);
        let machine = Machine::default()
            .cgroup(fixture::V2_PODMAN_NESTED)
            .mountinfo(fixture::MOUNTINFO_PODMAN_ROOTLESS);
        assert_eq!(id(machine).as_deref(), Some(PODMAN_ID));
    }

    #[test]
    fn cgroup_v1_ecs_ec2() {
        assert_eq!(
            container_id_from_cgroup(fixture::V1_ECS_EC2),
            Some(ECS_EC2_ID)
        );
    }

    #[test]
    fn cgroup_v1_ecs_fargate_task_id() {
        assert_eq!(
            container_id_from_cgroup(fixture::V1_ECS_FARGATE),
            Some(FARGATE_ID)
        );
    }

    #[test]
    fn cgroup_v1_uuid_shape() {
        assert_eq!(
            container_id_from_cgroup(fixture::V1_GARDEN),
            Some(GARDEN_ID)
        );
    }

    #[test]
    fn host_cgroups_have_no_id() {
        for contents in [
            fixture::V2_HOST_ROOT,
            fixture::V2_HOST_INIT,
            fixture::HYBRID_NO_ID,
        ] {
            assert_eq!(container_id_from_cgroup(contents), None, "{contents}");
            // In the host namespace there is no inode fallback either.
            let machine = Machine::default().cgroup(contents).host_namespace();
            assert_eq!(machine.detect(), Origin::none(), "{contents}");
        }
    }

    /// In a private cgroup namespace, `0::/` is this container's own node:
    /// its inode, at the mount root, identifies it.
    #[test]
    fn private_namespace_root_gives_the_mount_inode() {
        let machine = Machine::default()
            .cgroup(fixture::V2_HOST_ROOT)
            .inode(CGROUP_NS_PATH, 4_026_532_512)
            .inode("/sys/fs/cgroup", 5321);
        assert_eq!(machine.detect().suffix(), "|c:in-5321");
    }

    #[test]
    fn inode_fallback_stats_the_v2_node_under_the_mount() {
        let machine = Machine::default()
            .cgroup(fixture::V2_HOST_INIT)
            .inode("/sys/fs/cgroup/init.scope", 77);
        assert_eq!(id(machine).as_deref(), Some("in-77"));
    }

    #[test]
    fn inode_fallback_prefers_the_v1_memory_node() {
        let node = "/user.slice/user-1000.slice/session-2.scope";
        let paths = inode_paths(fixture::HYBRID_NO_ID, CGROUP_MOUNT);
        assert_eq!(
            paths,
            [
                PathBuf::from(format!("/sys/fs/cgroup/memory{node}")),
                PathBuf::from(format!("/sys/fs/cgroup{node}")),
            ]
        );
        let both = Machine::default()
            .cgroup(fixture::HYBRID_NO_ID)
            .inode(&format!("/sys/fs/cgroup/memory{node}"), 11)
            .inode(&format!("/sys/fs/cgroup{node}"), 22);
        assert_eq!(id(both).as_deref(), Some("in-11"));
        let unified_only = Machine::default()
            .cgroup(fixture::HYBRID_NO_ID)
            .inode(&format!("/sys/fs/cgroup{node}"), 22);
        assert_eq!(id(unified_only).as_deref(), Some("in-22"));
    }

    #[test]
    fn no_inode_no_id() {
        assert_eq!(id(Machine::default().cgroup(fixture::V2_HOST_ROOT)), None);
        // Without /proc/self/cgroup there is no node to stat.
        assert_eq!(id(Machine::default().inode("/sys/fs/cgroup", 5)), None);
    }

    #[test]
    fn inode_paths_follow_go_path_join() {
        let paths = |cgroup| inode_paths(cgroup, "/sys/fs/cgroup");
        assert_eq!(paths("0::/"), [PathBuf::from("/sys/fs/cgroup")]);
        assert_eq!(paths("0::"), [PathBuf::from("/sys/fs/cgroup")]);
        assert_eq!(
            paths("0::a/./b//c"),
            [PathBuf::from("/sys/fs/cgroup/a/b/c")]
        );
        assert_eq!(paths("0::/../../x"), [PathBuf::from("/sys/x")]);
        assert_eq!(paths("0::/../../../../.."), [PathBuf::from("/")]);
        // Not exactly three fields, or another controller: not used.
        assert!(paths("0::/a:b\n3:cpu:/x\nnothing").is_empty());
        // The last line for a controller wins.
        assert_eq!(paths("0::/a\n0::/b"), [PathBuf::from("/sys/fs/cgroup/b")]);
    }

    #[test]
    fn mountinfo_docker_private_namespace() {
        assert_eq!(
            container_id_from_mountinfo(fixture::MOUNTINFO_DOCKER_V2),
            Some(MOUNTINFO_DOCKER_ID)
        );
        // The cgroup shows only `0::/`: mountinfo wins over the inode.
        let machine = Machine::default()
            .cgroup(fixture::V2_HOST_ROOT)
            .mountinfo(fixture::MOUNTINFO_DOCKER_V2)
            .inode("/sys/fs/cgroup", 9);
        assert_eq!(id(machine).as_deref(), Some(MOUNTINFO_DOCKER_ID));
    }

    #[test]
    fn mountinfo_containerd_sandbox_is_not_the_container() {
        assert_eq!(
            container_id_from_mountinfo(fixture::MOUNTINFO_CONTAINERD_SANDBOX),
            None
        );
        let machine = Machine::default()
            .cgroup(fixture::V2_HOST_ROOT)
            .mountinfo(fixture::MOUNTINFO_CONTAINERD_SANDBOX)
            .inode("/sys/fs/cgroup", 31);
        assert_eq!(id(machine).as_deref(), Some("in-31"));
    }

    #[test]
    fn mountinfo_takes_the_rightmost_match_on_a_line() {
        let sandbox = "a".repeat(64);
        let container = "b".repeat(64);
        let line = format!(
            "1 2 8:1 /sandboxes/{sandbox}/hostname /run/k8s.io/{container}/rootfs/etc/hostname rw"
        );
        assert_eq!(container_id_from_mountinfo(&line), Some(container.as_str()));
        // The rightmost is a sandbox: the whole line is skipped.
        let line = format!("1 2 8:1 /volumes/{container}/_data/sandboxes/{sandbox}/hostname /x");
        assert_eq!(container_id_from_mountinfo(&line), None);
        // `hostname` must follow before any white space.
        let line = format!("1 2 8:1 /containers/{container}/hosts /etc/hostname rw");
        assert_eq!(container_id_from_mountinfo(&line), None);
        // ECS task IDs count; UUIDs do not.
        let task = "c47a5f07d469c9dbc639314b2895bbaf-17";
        let line = format!("1 2 8:1 /ecs/{task}/hostname /etc/hostname rw");
        assert_eq!(container_id_from_mountinfo(&line), Some(task));
        let line = format!("1 2 8:1 /garden/{GARDEN_ID}/hostname /etc/hostname rw");
        assert_eq!(container_id_from_mountinfo(&line), None);
    }

    #[test]
    fn cgroup_id_shapes() {
        let hex64 = DOCKER_ID;
        let cases: &[(&str, Option<&str>)] = &[
            // Lines that are not `<digits>:<controllers>:<path>`.
            ("other_line", None),
            (&format!("x:memory:/docker/{hex64}"), None),
            (&format!(":memory:/docker/{hex64}"), None),
            ("4:memory:", None),
            // 64 hex, with and without a runtime's scope unit.
            (&format!("1:name=systemd:/docker/{hex64}"), Some(hex64)),
            (
                &format!("0::/system.slice/docker-{hex64}.scope"),
                Some(hex64),
            ),
            // Any one character before `scope`, as the pattern's `.`.
            (&format!("0::/x/{hex64}-scope"), Some(hex64)),
            // Uppercase hex is not an ID.
            (&format!("0::/docker/{}", hex64.to_uppercase()), None),
            // 65 hex digits: the match starting earliest is the last 64.
            (&format!("0::/docker/0{hex64}"), Some(hex64)),
            // Too short, or not at the end.
            (&format!("0::/docker/{}", &hex64[1..]), None),
            (&format!("0::/docker/{hex64}/sub"), None),
            (&format!("0::/docker/{hex64}.slice"), None),
            // ECS task IDs, and what is not one.
            (
                "0::/ecs/0ee66b041af0e8f639744c3f6e31bebf-1",
                Some("0ee66b041af0e8f639744c3f6e31bebf-1"),
            ),
            ("0::/ecs/0ee66b041af0e8f639744c3f6e31bebf-", None),
            ("0::/ecs/0ee66b041af0e8f639744c3f6e31beb-12", None),
            // UUIDs, with `-` or `_` (systemd escapes `-` in unit names).
            (&format!("0::/pod/{GARDEN_ID}"), Some(GARDEN_ID)),
            (
                "0::/x/b79fcc0a_9014_43a6_a9e7_46e4c95039b4.scope",
                Some("b79fcc0a_9014_43a6_a9e7_46e4c95039b4"),
            ),
            // The controller list may be empty or named; the path keeps `:`.
            (&format!("5::/a:b/{hex64}"), Some(hex64)),
            // Not hex, multi-byte text before the ID.
            (&format!("0::/é{hex64}"), Some(hex64)),
            ("0::/session-3.scope", None),
        ];
        for (contents, expected) in cases {
            assert_eq!(container_id_from_cgroup(contents), *expected, "{contents}");
        }
        // The first line with an ID wins.
        let lines =
            format!("1:name=systemd:/nope\n2:pids:/docker/{hex64}\n3:cpu:/docker/{SCOPE_ID}");
        assert_eq!(container_id_from_cgroup(&lines), Some(hex64));
        // CRLF endings, as the Go scanner drops `\r`.
        assert_eq!(
            container_id_from_cgroup(&format!("0::/docker/{hex64}\r\n")),
            Some(hex64)
        );
    }

    #[test]
    fn each_field_present_exactly_when_configured() {
        let none = Machine::default().detect();
        assert_eq!(none, Origin::none());
        assert_eq!(none.suffix(), "");

        let external = Machine::default().env("DD_EXTERNAL_ENV", "it-false,cn-app,pu-b0a36108");
        assert_eq!(external.detect().suffix(), "|e:it-false,cn-app,pu-b0a36108");

        let card = Machine::default().env("DD_CARDINALITY", "low");
        assert_eq!(card.detect().suffix(), "|card:low");

        let all = Machine::default()
            .cgroup(fixture::V1_DOCKER)
            .env("DD_EXTERNAL_ENV", "it-false,cn-app,pu-b0a36108")
            .env("DATADOG_CARDINALITY", "orchestrator");
        assert_eq!(
            all.detect().suffix(),
            format!("|c:{DOCKER_ID}|e:it-false,cn-app,pu-b0a36108|card:orchestrator")
        );

        // Empty variables count as unset.
        let empty = Machine::default()
            .env("DD_EXTERNAL_ENV", "")
            .env("DD_CARDINALITY", "")
            .env("DATADOG_CARDINALITY", "high");
        assert_eq!(empty.detect().suffix(), "|card:high");
    }

    #[test]
    fn disable_switch_drops_container_id_and_external_data_only() {
        for off in ["false", "FALSE", "False", "f", "F", "0"] {
            let machine = Machine::default()
                .cgroup(fixture::V1_DOCKER)
                .inode("/sys/fs/cgroup", 3)
                .env("DD_ORIGIN_DETECTION_ENABLED", off)
                .env("DD_EXTERNAL_ENV", "it-false,cn-app")
                .env("DD_CARDINALITY", "high");
            let origin = machine.detect();
            assert_eq!(origin.suffix(), "|card:high", "{off}");
            // Turned off, detection reads nothing.
            assert!(machine.reads.borrow().is_empty(), "{off}");
        }
        // Go's `strconv.ParseBool` rejects these, which leaves detection on.
        for on in ["true", "1", "t", "fAlse", "no", "off", " false", "yes", ""] {
            let machine = Machine::default()
                .cgroup(fixture::V1_DOCKER)
                .env("DD_ORIGIN_DETECTION_ENABLED", on)
                .env("DD_EXTERNAL_ENV", "it-false");
            assert_eq!(
                machine.detect().suffix(),
                format!("|c:{DOCKER_ID}|e:it-false"),
                "{on:?}"
            );
        }
    }

    #[test]
    fn cardinality_values() {
        let card = |dd: Option<&str>, datadog: Option<&str>| {
            let mut machine = Machine::default();
            if let Some(v) = dd {
                machine = machine.env("DD_CARDINALITY", v);
            }
            if let Some(v) = datadog {
                machine = machine.env("DATADOG_CARDINALITY", v);
            }
            machine.detect().cardinality
        };
        for (value, expected) in [
            ("none", "none"),
            ("low", "low"),
            ("Orchestrator", "orchestrator"),
            ("HIGH", "high"),
            // Go's `strings.ToLower` maps U+0130 to `i`.
            ("H\u{130}GH", "high"),
        ] {
            assert_eq!(card(Some(value), None), Some(expected), "{value}");
        }
        for invalid in ["medium", " low", "low ", "lowx", "hi", "\u{131}"] {
            assert_eq!(card(Some(invalid), None), None, "{invalid:?}");
        }
        // DD_CARDINALITY first; an invalid one falls through to the other.
        assert_eq!(card(Some("low"), Some("high")), Some("low"));
        assert_eq!(card(Some("bogus"), Some("high")), Some("high"));
        assert_eq!(card(Some("bogus"), Some("also bogus")), None);
    }

    #[test]
    fn hostile_external_env_cannot_add_a_field_or_a_line() {
        let hostile = "it-false|#admin:true|c:forged\nevil.metric:1|c\r\u{0}\u{85}\u{2028}\u{2029}";
        let origin = Machine::default()
            .env("DD_EXTERNAL_ENV", hostile)
            .env("DD_CARDINALITY", "low")
            .detect();
        assert_eq!(
            origin.suffix(),
            "|e:it-false#admin:truec:forgedevil.metric:1c|card:low"
        );
        // Nothing printable left: no field at all.
        let blank = Machine::default().env("DD_EXTERNAL_ENV", "|\n|\t").detect();
        assert_eq!(blank.suffix(), "");
    }

    #[test]
    fn external_data_keeps_what_go_prints() {
        assert_eq!(sanitize_external_data("cn-app, pu-1"), "cn-app, pu-1");
        assert_eq!(
            sanitize_external_data("caf\u{e9}-\u{1F680}"),
            "caf\u{e9}-\u{1F680}"
        );
        // Non-space blanks, format and private-use characters go, as in Go.
        let dropped = "\u{A0}\u{3000}\u{200B}\u{202E}\u{FEFF}\u{E000}\u{1B}\u{7F}";
        assert_eq!(sanitize_external_data(&format!("a{dropped}b")), "ab");
        // No trimming: a leading or trailing space is printable.
        assert_eq!(sanitize_external_data(" x "), " x ");
    }

    #[test]
    fn detection_switch_values() {
        assert!(detection_enabled(None));
        assert!(!detection_enabled(Some("false")));
        assert!(detection_enabled(Some("FaLsE")));
    }

    /// The real thing on this machine: whatever it finds must be a suffix a
    /// line can carry.
    #[test]
    fn detects_on_this_machine() {
        let origin = Origin::from_env();
        println!(
            "origin on this machine: {origin:?}\n/proc/self/cgroup:\n{}",
            system::read(Path::new(CGROUP_PATH)).unwrap_or_default()
        );
        assert_well_formed(origin.suffix());
    }
}
