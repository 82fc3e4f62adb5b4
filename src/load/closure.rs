//! One program's load, simulated: the kernel's interpreter checks, the
//! loader's breadth-first search (glibc `elf/dl-deps.c`, `elf/dl-load.c`;
//! musl `ldso/dynlink.c` `load_library`, `load_deps`), version checks
//! (glibc `elf/dl-version.c`), symbol binding (glibc `elf/dl-lookup.c`
//! `do_lookup_x`/`check_match`; musl `find_sym`), and the node checks.
//! See `shared/reference/loader.md` for the behaviour and its sources.

use std::sync::Arc;

use super::context::{self, Context, Flavor, LdCache};
use super::cpu::{self, EM_X86_64};
use super::gnuhash::gnu_hash;
use super::object::{self, Object, Ref, Verdict};
use super::{Found, Hints, Lookup, MAX_OBJECTS, MAX_PATH_ELEMENTS, MAX_PROBLEMS_PER_RULE, Session};
use crate::facts::{LoadFacts, LoadInterpreter, LoadObject, LoadProblem, LoadUnchecked};
use crate::input::errtext;
use crate::input::{FileId, escape_bytes};

/// What glibc's `ld.so` prints for an `errno`: its own small table
/// (`elf/dl-minimal.c` `__strerror_r`), `Error N` for anything else.
fn ld_so_strerror(errno: i32) -> String {
    match errno {
        libc::ENOMEM | libc::EINVAL | libc::ENOENT | libc::EPERM | libc::EIO | libc::EACCES => {
            errtext::glibc(errno)
        }
        n => format!("Error {n}"),
    }
}

/// The rules, by problem kind (`facts::LoadProblem::rule`).
pub const RULE_INTERPRETER: &str = "load.interpreter";
pub const RULE_LIBRARY: &str = "load.library";
pub const RULE_VERSION: &str = "load.version";
pub const RULE_SYMBOL: &str = "load.symbol";
pub const RULE_CPU: &str = "node.cpu";

/// How an object was found (`facts::LoadObject::via`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via {
    Rpath,
    LdLibraryPath,
    Runpath,
    Cache,
    Default,
    Direct,
    Loaded,
}

impl Via {
    fn name(self) -> &'static str {
        match self {
            Via::Rpath => "rpath",
            Via::LdLibraryPath => "ld_library_path",
            Via::Runpath => "runpath",
            Via::Cache => "cache",
            Via::Default => "default",
            Via::Direct => "direct",
            Via::Loaded => "loaded",
        }
    }
}

/// One object of the closure (glibc's `link_map`, musl's `dso`).
#[derive(Debug)]
struct Map {
    /// `None`: not found (a stand-in, as `ldd` makes one).
    found: Option<Arc<Found>>,
    /// The names it was asked for (after DST expansion).
    names: Vec<Vec<u8>>,
    /// The `DT_NEEDED` string it was first asked for by, as written.
    needed: Vec<u8>,
    /// The path it was opened under (`l_name`); empty for the program.
    realname: Vec<u8>,
    /// How it is named in facts and messages.
    shown: String,
    /// `$ORIGIN`.
    origin: Option<Vec<u8>>,
    /// The object that first needed it (`l_loader`, musl's `needed_by`).
    loader: Option<usize>,
    via: Option<Via>,
    needed_by: Vec<usize>,
    /// musl's `shortname`: the name a search found it by.
    shortname: Option<Vec<u8>>,
    is_rtld: bool,
}

impl Map {
    fn obj(&self) -> Option<&Object> {
        self.found.as_deref().and_then(Found::object)
    }

    fn dev_ino(&self) -> Option<(u64, u64)> {
        self.found.as_ref().map(|f| (f.dev, f.ino))
    }

    fn answers_to(&self, name: &[u8]) -> bool {
        self.names.iter().any(|n| n == name)
            || (!self.realname.is_empty() && self.realname == name)
            || self
                .obj()
                .and_then(|o| o.soname.as_deref())
                .is_some_and(|s| s == name)
    }
}

/// A library found by musl's search: its path, the file, how.
type Hit = (Vec<u8>, Arc<Found>, Via);

/// What a search gave.
enum Search {
    Hit(Vec<u8>, Arc<Found>, Via),
    /// Not found: the last `errno`, and whether a file of the other ELF
    /// class was passed over (glibc then says "wrong ELF class").
    Miss(i32, bool),
    /// A candidate that stops the loader: its path and glibc's words.
    Fatal(Vec<u8>, String),
}

/// Problems and the rest of the facts, bounded per rule.
struct Out {
    facts: LoadFacts,
    counts: std::collections::HashMap<&'static str, usize>,
    /// A library target: undefined symbols may come from the program that
    /// loads it, so they are warnings.
    library: bool,
}

impl Out {
    fn problem(
        &mut self,
        kind: &str,
        rule: &'static str,
        object: &str,
        subject: &str,
        msg: String,
    ) {
        if self.library && rule == RULE_SYMBOL {
            // As many as a rule's problems: an extension module may leave
            // thousands of its host's symbols undefined.
            let n = self.counts.entry("library-symbol-warnings").or_insert(0);
            *n += 1;
            if *n <= MAX_PROBLEMS_PER_RULE {
                self.facts.warnings.push(format!(
                    "{msg} (a shared library: the program that loads it may define it)"
                ));
            } else if *n == MAX_PROBLEMS_PER_RULE + 1 {
                self.facts.warnings.push(format!(
                    "more undefined symbols of this shared library are not listed (the first \
                     {MAX_PROBLEMS_PER_RULE} are)"
                ));
            }
            return;
        }
        let n = self.counts.entry(rule).or_insert(0);
        *n += 1;
        if *n > MAX_PROBLEMS_PER_RULE {
            return;
        }
        self.facts.problems.push(LoadProblem {
            kind: kind.to_string(),
            rule: rule.to_string(),
            object: object.to_string(),
            subject: subject.to_string(),
            message: msg,
        });
    }

    fn unchecked(&mut self, rule: &str, reason: String) {
        if !self.facts.unchecked.iter().any(|u| u.rule == rule) {
            self.facts.unchecked.push(LoadUnchecked {
                rule: rule.to_string(),
                reason,
            });
        }
    }

    fn finish(mut self) -> LoadFacts {
        let mut over: Vec<(&str, usize)> = self
            .counts
            .iter()
            .filter(|(_, n)| **n > MAX_PROBLEMS_PER_RULE)
            .map(|(r, n)| (*r, *n - MAX_PROBLEMS_PER_RULE))
            .collect();
        over.sort();
        for (rule, n) in over {
            self.facts
                .warnings
                .push(format!("{n} more {rule} problems not listed"));
        }
        self.facts
    }
}

/// Simulates loading the program at `path`.
pub fn simulate(s: &Session, path: &[u8], shown: &str, hints: Hints) -> LoadFacts {
    let cpu = s.cpu();
    let shown = shown.to_string();
    let mut out = Out {
        facts: LoadFacts {
            loader: "unknown".into(),
            cpu: match cpu.spec {
                cpu::CpuSpec::Host if cpu.machine == EM_X86_64 => {
                    format!("{} (host)", cpu.level_name())
                }
                cpu::CpuSpec::Host => format!("{} (host)", machine_name(cpu.machine)),
                spec => spec.to_string(),
            },
            ..LoadFacts::default()
        },
        counts: Default::default(),
        library: false,
    };
    let all = [
        RULE_INTERPRETER,
        RULE_LIBRARY,
        RULE_VERSION,
        RULE_SYMBOL,
        RULE_CPU,
    ];
    let exe = match s.lookup(path) {
        Lookup::Found(f) if f.object().is_some() => f,
        Lookup::Found(f) => {
            let why = match f.parsed.as_deref().map(|p| &p.object) {
                Some(Err(e)) => format!("{shown}: {e}"),
                _ => format!("{shown}: not a regular ELF file"),
            };
            for r in all {
                out.unchecked(r, why.clone());
            }
            return out.finish();
        }
        Lookup::Failed(errno) => {
            for r in all {
                out.unchecked(r, format!("{shown}: {}", errtext::glibc(errno)));
            }
            return out.finish();
        }
    };
    let Some(obj) = exe.object() else {
        return out.finish();
    };
    node_machine(&mut out, cpu, obj, &shown);
    go_level(&mut out, cpu, obj, &shown, hints);

    let interp: Vec<u8> = match &obj.interp {
        Some(i) => i.to_vec(),
        None if obj.needed.is_empty() => {
            out.facts.loader = "static".into();
            return out.finish();
        }
        None => {
            // A shared library: loaded by whichever loader the root has
            // for its machine, as `ldd` would run it.
            out.library = true;
            match default_interpreter(s, obj) {
                Some(i) => {
                    out.facts.warnings.push(format!(
                        "{shown} names no interpreter (a shared library): simulated as loaded by {}",
                        escape_bytes(&i)
                    ));
                    i
                }
                None => {
                    for r in [RULE_LIBRARY, RULE_VERSION, RULE_SYMBOL] {
                        out.unchecked(
                            r,
                            format!(
                                "{shown} is a shared library and the root has no loader for {}",
                                machine_name(obj.e_machine)
                            ),
                        );
                    }
                    return out.finish();
                }
            }
        }
    };
    let interp_lookup = s.lookup(&interp);
    let ctx = s
        .contexts
        .get_or(interp.clone(), || {
            Arc::new(Context::new(s, &interp, &interp_lookup))
        })
        .get()
        .cloned();
    let Some(ctx) = ctx else {
        return out.finish();
    };
    out.facts.loader = ctx.flavor.name().into();
    out.facts.glibc = ctx.version_text();
    out.facts.warnings.extend(ctx.warnings.iter().cloned());
    let usable = if out.library {
        true
    } else {
        out.facts.interpreter = Some(LoadInterpreter {
            path: escape_bytes(&interp),
            found: match &interp_lookup {
                Lookup::Found(_) => ctx.found_at.as_deref().map(escape_bytes),
                Lookup::Failed(_) => None,
            },
        });
        check_interpreter(&mut out, obj, &interp, &interp_lookup, &shown)
    };
    if !usable {
        for r in [RULE_LIBRARY, RULE_VERSION, RULE_SYMBOL] {
            out.unchecked(
                r,
                format!("the interpreter {} cannot start", escape_bytes(&interp)),
            );
        }
        return out.finish();
    }
    if ctx.flavor == Flavor::Unknown {
        for r in [RULE_LIBRARY, RULE_VERSION, RULE_SYMBOL] {
            out.unchecked(
                r,
                format!(
                    "{} is neither glibc's nor musl's loader",
                    escape_bytes(&interp)
                ),
            );
        }
        return out.finish();
    }
    let exe_map = Map {
        found: Some(Arc::clone(&exe)),
        names: Vec::new(),
        needed: Vec::new(),
        realname: Vec::new(),
        shown: shown.clone(),
        // `/proc/self/exe`, worked out when first needed (`Sim::origin`).
        origin: None,
        loader: None,
        via: None,
        needed_by: Vec::new(),
        shortname: None,
        is_rtld: false,
    };
    let rtld = match &interp_lookup {
        Lookup::Found(f) => Some(Map {
            found: Some(Arc::clone(f)),
            names: {
                let mut n = vec![interp.clone()];
                if let Some(so) = f.object().and_then(|o| o.soname.as_deref()) {
                    n.push(so.to_vec());
                }
                n
            },
            needed: Vec::new(),
            realname: interp.clone(),
            shown: escape_bytes(&interp),
            origin: Some(dirname(&interp)),
            loader: None,
            via: Some(Via::Loaded),
            needed_by: Vec::new(),
            shortname: None,
            is_rtld: true,
        }),
        Lookup::Failed(_) => None,
    };
    let mut sim = Sim {
        s,
        ctx: &ctx,
        maps: vec![exe_map],
        rtld,
        exe_shown: shown,
        exe_path: path.to_vec(),
        exe_origin: std::cell::OnceCell::new(),
        llp: Vec::new(),
        out,
        capped: false,
        dirs_memo: std::cell::RefCell::new(std::collections::HashMap::new()),
    };
    sim.run();
    drop(sim.maps);
    // A program (no DT_SONAME) is not loaded by others: its tables need
    // not stay in memory for the rest of the run.
    if obj.soname.is_none() {
        s.forget(path, exe.id);
    }
    sim.out.finish()
}

/// A search list, split and expanded (shared by every search through it).
type Dirs = std::rc::Rc<Vec<Vec<u8>>>;

/// The simulation of one program.
struct Sim<'s> {
    s: &'s Session,
    ctx: &'s Context,
    maps: Vec<Map>,
    /// The interpreter, until something needs it (then it joins `maps`).
    rtld: Option<Map>,
    exe_shown: String,
    exe_path: Vec<u8>,
    /// The program's `$ORIGIN`: the directory of its resolved path.
    exe_origin: std::cell::OnceCell<Vec<u8>>,
    /// `LD_LIBRARY_PATH`, split and expanded for this program.
    llp: Vec<Vec<u8>>,
    out: Out,
    /// The closure reached [`MAX_OBJECTS`].
    capped: bool,
    /// Each map's `DT_RPATH` (`false`) and `DT_RUNPATH` (`true`) split
    /// and expanded once: every `DT_NEEDED` below it searches them again.
    dirs_memo: std::cell::RefCell<std::collections::HashMap<(usize, bool), Dirs>>,
}

impl Sim<'_> {
    fn run(&mut self) {
        let musl = self.ctx.flavor == Flavor::Musl;
        if let Some(llp) = self.s.options.library_path.clone() {
            self.llp = if musl {
                super::ldso::split_musl(&llp)
            } else {
                self.decompose(&llp, b":;", 0)
            };
            if self.llp.len() >= MAX_PATH_ELEMENTS {
                self.out.facts.warnings.push(format!(
                    "LD_LIBRARY_PATH: only the first {MAX_PATH_ELEMENTS} directories were searched"
                ));
            }
        }
        let mut i = 0;
        while i < self.maps.len() {
            let needed: Vec<Box<[u8]>> = self.maps[i]
                .obj()
                .map(|o| o.needed.clone())
                .unwrap_or_default();
            for n in needed {
                // Past the cap nothing more is decided (the rules are
                // unknown): a hostile list of needed names is not walked.
                if self.capped {
                    break;
                }
                if musl {
                    self.need_musl(i, &n);
                } else {
                    self.need_glibc(i, &n);
                }
            }
            if self.capped {
                break;
            }
            i += 1;
        }
        if self.capped {
            for r in [RULE_LIBRARY, RULE_VERSION, RULE_SYMBOL] {
                self.out.unchecked(
                    r,
                    format!("the closure has more than {MAX_OBJECTS} objects"),
                );
            }
        }
        self.objects();
        let incomplete: Vec<String> = self
            .maps
            .iter()
            .filter(|m| m.found.is_none())
            .map(|m| escape_bytes(&m.needed))
            .collect();
        let damaged: Vec<String> = self
            .maps
            .iter()
            .filter_map(|m| {
                let o = m.obj()?;
                let first = o.damage.first()?;
                Some(format!("{}: {first}", m.shown))
            })
            .collect();
        if let Some(d) = damaged.first() {
            for r in [RULE_VERSION, RULE_SYMBOL] {
                self.out
                    .unchecked(r, format!("an object could not be read whole: {d}"));
            }
        }
        if !musl {
            if let LdCache::Unusable(why) = context::ld_cache(self.s) {
                self.out.facts.warnings.push(format!(
                    "/etc/ld.so.cache: {why}: the loader does not use it"
                ));
            }
            self.versions();
        }
        // musl reports every error, symbols included; glibc stops at the
        // first library it cannot load.
        if incomplete.is_empty() || musl {
            self.symbols(musl);
        } else {
            self.out.unchecked(
                RULE_SYMBOL,
                format!("not checked: {} could not be loaded", incomplete.join(", ")),
            );
        }
        if !musl {
            self.isa();
        }
    }

    /// The `objects` facts: every map but the program, in load order.
    fn objects(&mut self) {
        let shown: Vec<String> = self.maps.iter().map(|m| m.shown.clone()).collect();
        for m in self.maps.iter().skip(1) {
            self.out.facts.objects.push(LoadObject {
                needed: escape_bytes(&m.needed),
                path: m.found.as_ref().map(|_| escape_bytes(&m.realname)),
                via: m.found.as_ref().and(m.via).map(|v| v.name().to_string()),
                needed_by: m
                    .needed_by
                    .iter()
                    .filter_map(|&i| shown.get(i).cloned())
                    .collect(),
            });
        }
    }

    fn add_requester(&mut self, j: usize, i: usize) {
        if let Some(m) = self.maps.get_mut(j)
            && !m.needed_by.contains(&i)
        {
            m.needed_by.push(i);
        }
    }

    /// Puts the interpreter into the closure (something needed it).
    fn take_rtld(&mut self, i: usize, needed: &[u8]) -> Option<usize> {
        let mut m = self.rtld.take()?;
        m.needed = needed.to_vec();
        m.loader = Some(i);
        m.needed_by.push(i);
        self.maps.push(m);
        Some(self.maps.len() - 1)
    }

    /// A stand-in for a library that was not loaded.
    fn missing(&mut self, i: usize, needed: &[u8], name: &[u8]) {
        self.maps.push(Map {
            found: None,
            names: vec![name.to_vec()],
            needed: needed.to_vec(),
            realname: Vec::new(),
            shown: escape_bytes(name),
            origin: None,
            loader: Some(i),
            via: None,
            needed_by: vec![i],
            shortname: Some(name.to_vec()),
            is_rtld: false,
        });
    }

    fn requester_shown(&self, i: usize) -> String {
        self.maps
            .get(i)
            .map(|m| m.shown.clone())
            .unwrap_or_default()
    }

    fn room(&mut self) -> bool {
        if self.maps.len() >= MAX_OBJECTS {
            self.capped = true;
            return false;
        }
        true
    }

    // --- glibc ---------------------------------------------------------

    /// One `DT_NEEDED` of map `i`, as `_dl_map_object_deps` and
    /// `_dl_map_object` handle it.
    fn need_glibc(&mut self, i: usize, needed: &[u8]) {
        let exe = self.exe_shown.clone();
        let name = match self.expand(needed, i) {
            Some(n) if !n.is_empty() => n,
            _ => {
                let msg = format!(
                    "{exe}: error while loading shared libraries: {}: empty dynamic string token substitution",
                    escape_bytes(needed)
                );
                let who = self.requester_shown(i);
                self.out.problem(
                    "library_missing",
                    RULE_LIBRARY,
                    &who,
                    &escape_bytes(needed),
                    msg,
                );
                if self.room() {
                    self.missing(i, needed, needed);
                }
                return;
            }
        };
        if let Some(j) = self.maps.iter().position(|m| m.answers_to(&name)) {
            self.add_requester(j, i);
            return;
        }
        if self.rtld.as_ref().is_some_and(|r| r.answers_to(&name)) {
            self.take_rtld(i, needed);
            return;
        }
        if !self.room() {
            return;
        }
        let r = if name.contains(&b'/') {
            match self.verify(&name) {
                Ok(f) => Search::Hit(name.clone(), f, Via::Direct),
                Err(Err(msg)) => Search::Fatal(name.clone(), msg),
                Err(Ok((errno, other))) => Search::Miss(errno, other),
            }
        } else {
            self.search_glibc(i, &name)
        };
        let who = self.requester_shown(i);
        match r {
            Search::Hit(path, found, via) => {
                let id = (found.dev, found.ino);
                if let Some(j) = self.maps.iter().position(|m| m.dev_ino() == Some(id)) {
                    if let Some(m) = self.maps.get_mut(j) {
                        m.names.push(name);
                    }
                    self.add_requester(j, i);
                    return;
                }
                if self.rtld.as_ref().is_some_and(|r| r.dev_ino() == Some(id))
                    && let Some(j) = self.take_rtld(i, needed)
                {
                    if let Some(m) = self.maps.get_mut(j) {
                        m.names.push(name);
                    }
                    return;
                }
                self.maps.push(Map {
                    origin: Some(origin_of(&path)),
                    shown: escape_bytes(&path),
                    found: Some(found),
                    names: vec![name],
                    needed: needed.to_vec(),
                    realname: path,
                    loader: Some(i),
                    via: Some(via),
                    needed_by: vec![i],
                    shortname: None,
                    is_rtld: false,
                });
            }
            Search::Miss(errno, other_class) => {
                let (kind, why) = if other_class {
                    ("library_invalid", "wrong ELF class: ELFCLASS32".to_string())
                } else {
                    (
                        "library_missing",
                        format!("cannot open shared object file: {}", ld_so_strerror(errno)),
                    )
                };
                let why = if other_class && !self.loader_is_64() {
                    "wrong ELF class: ELFCLASS64".to_string()
                } else {
                    why
                };
                let msg = format!(
                    "{exe}: error while loading shared libraries: {}: {why}",
                    escape_bytes(&name)
                );
                self.out
                    .problem(kind, RULE_LIBRARY, &who, &escape_bytes(&name), msg);
                self.missing(i, needed, &name);
            }
            Search::Fatal(path, why) => {
                let msg = format!(
                    "{exe}: error while loading shared libraries: {}: {why}",
                    escape_bytes(&path)
                );
                self.out.problem(
                    "library_invalid",
                    RULE_LIBRARY,
                    &who,
                    &escape_bytes(&name),
                    msg,
                );
                self.missing(i, needed, &name);
            }
        }
    }

    /// The class, byte order and machine of the loader (its `ld.so`, or
    /// the program's when the interpreter could not be read).
    fn loader_abi(&self) -> (bool, bool, u16) {
        let o = self
            .ctx
            .file
            .as_deref()
            .and_then(Found::object)
            .or_else(|| self.maps.first().and_then(Map::obj));
        o.map(|o| (o.is_64, o.big_endian, o.e_machine))
            .unwrap_or((true, false, EM_X86_64))
    }

    fn loader_is_64(&self) -> bool {
        self.loader_abi().0
    }

    /// glibc's `open_verify` on a candidate path: the file, or why not
    /// (`Ok((errno, other_class))` to go on searching, `Err(words)` to stop).
    fn verify(&self, path: &[u8]) -> Result<Arc<Found>, Result<(i32, bool), String>> {
        let f = match self.s.lookup(path) {
            Lookup::Failed(errno) => return Err(Ok((errno, false))),
            Lookup::Found(f) => f,
        };
        if f.is_dir() {
            return Err(Err(format!(
                "cannot read file data: {}",
                ld_so_strerror(libc::EISDIR)
            )));
        }
        let Some(p) = f.parsed.as_deref() else {
            return match f.mode & libc::S_IFMT {
                libc::S_IFSOCK => Err(Ok((libc::ENXIO, false))),
                libc::S_IFIFO => Err(Err("a FIFO: opening it would block the loader".to_string())),
                _ => Err(Err("cannot read file data: not a regular file".to_string())),
            };
        };
        let (is_64, big, machine) = self.loader_abi();
        match object::verify_glibc(&p.head, p.len, is_64, big, machine) {
            Verdict::Ok => {}
            Verdict::OtherClass => return Err(Ok((libc::ENOENT, true))),
            Verdict::OtherMachine => return Err(Ok((libc::ENOENT, false))),
            Verdict::Fatal(m) => return Err(Err(m)),
        }
        match &p.object {
            Ok(o) if o.e_type == 3 && !o.has_dynamic => {
                Err(Err("object file has no dynamic section".to_string()))
            }
            _ => Ok(Arc::clone(&f)),
        }
    }

    /// `_dl_map_new_object`'s search for a name without `/`.
    fn search_glibc(&mut self, i: usize, name: &[u8]) -> Search {
        let mut errno = libc::ENOENT;
        let mut other = false;
        let has_runpath = |m: &Map| m.obj().is_some_and(|o| !o.runpath.is_empty());
        if !self.maps.get(i).is_some_and(has_runpath) {
            let mut did_main = false;
            let mut l = Some(i);
            let mut hops = 0usize;
            while let Some(k) = l {
                hops += 1;
                if hops > MAX_OBJECTS {
                    break;
                }
                if let Some(dirs) = self.rpath_dirs(k) {
                    if let Some(r) = self.try_dirs(&dirs, name, Via::Rpath, &mut errno, &mut other)
                    {
                        return r;
                    }
                    did_main |= k == 0;
                }
                l = self.maps.get(k).and_then(|m| m.loader);
            }
            if !did_main
                && let Some(dirs) = self.rpath_dirs(0)
                && let Some(r) = self.try_dirs(&dirs, name, Via::Rpath, &mut errno, &mut other)
            {
                return r;
            }
        }
        let llp = std::mem::take(&mut self.llp);
        let r = self.try_dirs(&llp, name, Via::LdLibraryPath, &mut errno, &mut other);
        self.llp = llp;
        if let Some(r) = r {
            return r;
        }
        if let Some(dirs) = self.runpath_dirs(i)
            && let Some(r) = self.try_dirs(&dirs, name, Via::Runpath, &mut errno, &mut other)
        {
            return r;
        }
        let nodeflib = self
            .maps
            .get(i)
            .and_then(Map::obj)
            .is_some_and(|o| o.nodeflib);
        if let Some(r) = self.search_cache(name, nodeflib, &mut errno, &mut other) {
            return r;
        }
        if !nodeflib {
            let dirs = self.ctx.system_dirs.clone();
            if let Some(r) = self.try_dirs(&dirs, name, Via::Default, &mut errno, &mut other) {
                return r;
            }
        }
        Search::Miss(errno, other)
    }

    /// The `DT_RPATH` directories of map `k` (none when it has `DT_RUNPATH`).
    fn rpath_dirs(&self, k: usize) -> Option<Dirs> {
        let o = self.maps.get(k)?.obj()?;
        if !o.runpath.is_empty() {
            return None;
        }
        // glibc keeps the last entry of a tag.
        let rpath = o.rpath.last()?.clone();
        let dirs = self.memo_dirs(k, false, &rpath);
        (!dirs.is_empty()).then_some(dirs)
    }

    /// The `DT_RUNPATH` directories of map `k`.
    fn runpath_dirs(&self, k: usize) -> Option<Dirs> {
        let runpath = self.maps.get(k)?.obj()?.runpath.last()?.clone();
        Some(self.memo_dirs(k, true, &runpath))
    }

    /// [`Sim::decompose`] of map `k`'s list, once per map and tag.
    fn memo_dirs(&self, k: usize, runpath: bool, list: &[u8]) -> Dirs {
        if let Some(d) = self.dirs_memo.borrow().get(&(k, runpath)) {
            return std::rc::Rc::clone(d);
        }
        let dirs = std::rc::Rc::new(self.decompose(list, b":", k));
        self.dirs_memo
            .borrow_mut()
            .insert((k, runpath), std::rc::Rc::clone(&dirs));
        dirs
    }

    /// The cache step.
    fn search_cache(
        &self,
        name: &[u8],
        nodeflib: bool,
        errno: &mut i32,
        other: &mut bool,
    ) -> Option<Search> {
        let LdCache::Usable(cache) = context::ld_cache(self.s) else {
            return None;
        };
        let (is_64, _, machine) = self.loader_abi();
        let (flags, default) = super::ldcache::accepted_flags(machine, is_64);
        let env = self.ctx.cache_env(self.s.cpu(), flags, default);
        let hit = cache.lookup(name, &env)?.to_vec();
        if nodeflib && self.ctx.system_dirs.iter().any(|d| hit.starts_with(d)) {
            return None;
        }
        match self.verify(&hit) {
            Ok(f) => Some(Search::Hit(hit, f, Via::Cache)),
            Err(Err(m)) => Some(Search::Fatal(hit, m)),
            Err(Ok((e, o))) => {
                *errno = e;
                *other |= o;
                None
            }
        }
    }

    /// `open_path`: every directory, with every subdirectory the loader
    /// tries in it. `None` to go on with the next list.
    fn try_dirs(
        &self,
        dirs: &[Vec<u8>],
        name: &[u8],
        via: Via,
        errno: &mut i32,
        other: &mut bool,
    ) -> Option<Search> {
        for dir in dirs {
            let mut here_any = false;
            for cap in &self.ctx.capstr {
                let mut d = dir.clone();
                d.extend_from_slice(cap);
                // glibc skips a directory it found missing (relative ones
                // are always tried).
                if d.first() == Some(&b'/') && !self.s.is_dir(&d) {
                    continue;
                }
                here_any = true;
                let mut path = d;
                path.extend_from_slice(name);
                match self.verify(&path) {
                    Ok(f) => return Some(Search::Hit(path, f, via)),
                    Err(Err(m)) => return Some(Search::Fatal(path, m)),
                    Err(Ok((e, o))) => {
                        *errno = e;
                        *other |= o;
                    }
                }
            }
            if here_any && ![libc::ENOENT, libc::EACCES, libc::ENOTDIR].contains(errno) {
                return None;
            }
        }
        None
    }

    /// `fillin_rpath`: a path list split at `sep`, each element expanded
    /// (DSTs of map `owner`), without trailing slashes but one, each
    /// directory once. An empty element is the current directory.
    fn decompose(&self, list: &[u8], sep: &[u8], owner: usize) -> Vec<Vec<u8>> {
        let mut out: Vec<Vec<u8>> = Vec::new();
        let mut seen: std::collections::HashSet<Vec<u8>> = std::collections::HashSet::new();
        if list.is_empty() {
            return out;
        }
        for elem in list.split(|b| sep.contains(b)).take(MAX_PATH_ELEMENTS) {
            let mut dir = if elem.is_empty() {
                Vec::new()
            } else {
                match self.expand(elem, owner) {
                    Some(d) if !d.is_empty() => d,
                    _ => continue,
                }
            };
            if !dir.is_empty() {
                while dir.len() > 1 && dir.last() == Some(&b'/') {
                    dir.pop();
                }
                if dir.last() != Some(&b'/') {
                    dir.push(b'/');
                }
            }
            if seen.insert(dir.clone()) {
                out.push(dir);
            }
        }
        out
    }

    /// `$ORIGIN` of map `k`: the program's is the directory of its
    /// resolved path (what `/proc/self/exe` says in the pod), resolved only
    /// when a program uses `$ORIGIN`.
    fn origin(&self, k: usize) -> Option<Vec<u8>> {
        if k == 0 {
            let o = self.exe_origin.get_or_init(|| {
                let real = self
                    .s
                    .tree
                    .canonical(&self.exe_path)
                    .unwrap_or_else(|_| self.exe_path.clone());
                dirname(&real)
            });
            return Some(o.clone());
        }
        self.maps.get(k).and_then(|m| m.origin.clone())
    }

    /// `_dl_dst_substitute`: `$ORIGIN`, `$PLATFORM`, `$LIB` (bare or in
    /// braces) replaced; other `$` text kept. `None` when a known DST has
    /// no value (the element is dropped).
    fn expand(&self, input: &[u8], owner: usize) -> Option<Vec<u8>> {
        if !input.contains(&b'$') {
            return Some(input.to_vec());
        }
        let mut out = Vec::new();
        let mut k = 0usize;
        while k < input.len() {
            let b = input.get(k).copied().unwrap_or(0);
            if b != b'$' {
                out.push(b);
                k += 1;
                continue;
            }
            let rest = input.get(k + 1..).unwrap_or_default();
            let origin = self.origin(owner);
            let lib = self.ctx.dst_lib.clone();
            let platform = Some(self.s.cpu().platform().as_bytes().to_vec());
            let known = [
                (&b"ORIGIN"[..], origin),
                (&b"PLATFORM"[..], platform),
                (&b"LIB"[..], lib),
            ];
            let mut matched = false;
            for (dst, value) in known {
                if let Some(len) = is_dst(rest, dst) {
                    out.extend_from_slice(&value?);
                    k += 1 + len;
                    matched = true;
                    break;
                }
            }
            if !matched {
                out.push(b'$');
                k += 1;
            }
        }
        Some(out)
    }

    /// `_dl_check_map_versions` over every loaded object.
    fn versions(&mut self) {
        let exe = self.exe_shown.clone();
        let mut problems = Vec::new();
        let mut warnings = Vec::new();
        for m in &self.maps {
            let Some(o) = m.obj() else { continue };
            for (file, needs) in &o.verneeds {
                let Some(p) = self.maps.iter().find(|p| p.answers_to(file)) else {
                    continue;
                };
                let Some(po) = p.obj() else { continue };
                for need in needs {
                    let required_by = &m.shown;
                    if !po.has_verdef {
                        warnings.push(format!(
                            "{exe}: {}: no version information available (required by {required_by})",
                            p.shown
                        ));
                        continue;
                    }
                    let ok = po
                        .verdefs
                        .iter()
                        .any(|d| d.hash == need.hash && *d.name == *need.name);
                    if ok {
                        continue;
                    }
                    let v = escape_bytes(&need.name);
                    if need.weak {
                        warnings.push(format!(
                            "{exe}: {}: weak version `{v}' not found (required by {required_by})",
                            p.shown
                        ));
                        continue;
                    }
                    problems.push((
                        p.shown.clone(),
                        v.clone(),
                        format!(
                            "{exe}: {}: version `{v}' not found (required by {required_by})",
                            p.shown
                        ),
                    ));
                }
            }
        }
        for w in warnings {
            if !self.out.facts.warnings.contains(&w) {
                self.out.facts.warnings.push(w);
            }
        }
        for (object, subject, msg) in problems {
            self.out
                .problem("version_missing", RULE_VERSION, &object, &subject, msg);
        }
    }

    /// Every strong undefined symbol of every object must be defined in
    /// the global scope (the objects, in load order).
    fn symbols(&mut self, musl: bool) {
        let defines = |d: &Object, w: &Want<'_>| {
            if musl {
                musl_defines(d, w.name, w.hash)
            } else {
                glibc_defines(d, w)
            }
        };
        let ldso = self.maps.iter().find(|m| m.is_rtld).and_then(Map::obj);
        let lfs = |name: &[u8]| musl && ldso.is_some_and(|l| lfs64(l, name));
        // The libraries' references that the libraries leave undefined:
        // once per set of libraries.
        let mut libs: Vec<(&Arc<Found>, &Object)> = self
            .maps
            .iter()
            .skip(1)
            .filter_map(|m| Some((m.found.as_ref()?, m.obj()?)))
            .collect();
        // Most references are to the C library: the libraries that define
        // the most are asked first, so most lookups end at the first probe.
        libs.sort_by_key(|(_, o)| std::cmp::Reverse(o.symbols.defs()));
        // Each library's references that its own dependencies leave
        // undefined (for a library linked with its dependencies, none),
        // worked out once per library and set of dependencies in the run:
        // programs share libraries, and a library's dependencies resolve the
        // same way for almost every program that loads it.
        let mut deps: Vec<Vec<usize>> = vec![Vec::new(); self.maps.len()];
        for (j, m) in self.maps.iter().enumerate() {
            for &i in &m.needed_by {
                if let Some(d) = deps.get_mut(i) {
                    d.push(j);
                }
            }
        }
        let mut open_refs: Vec<(usize, Arc<std::sync::OnceLock<Vec<u32>>>)> = Vec::new();
        for (j, m) in self.maps.iter().enumerate().skip(1) {
            let (Some(f), Some(o)) = (m.found.as_ref(), m.obj()) else {
                continue;
            };
            let below = reachable(&deps, j);
            let mut sub: Vec<(&Arc<Found>, &Object)> = below
                .iter()
                .filter_map(|&k| {
                    let d = self.maps.get(k)?;
                    Some((d.found.as_ref()?, d.obj()?))
                })
                .collect();
            sub.sort_by_key(|(_, d)| std::cmp::Reverse(d.symbols.defs()));
            let mut key: Vec<FileId> = sub.iter().map(|(d, _)| d.id).collect();
            key.sort_unstable();
            key.dedup();
            let cell = self.s.scopes.get_or((musl, f.id, key), || {
                o.symbols
                    .refs
                    .iter()
                    .enumerate()
                    .filter(|(_, r)| {
                        let w = Want::of(o, r);
                        !sub.iter().any(|(_, d)| defines(d, &w)) && !lfs(w.name)
                    })
                    .filter_map(|(k, _)| u32::try_from(k).ok())
                    .collect()
            });
            open_refs.push((j, cell));
        }
        let exe = self.maps.first().and_then(Map::obj);
        // Whether some library defines a reference of `o`. Only whether one
        // does counts, not which, so the likeliest is asked first: the
        // library its version comes from (`vn_file`), else the library
        // that defined the reference before it. Most references end at
        // that one lookup instead of one per library before it.
        let in_libs = |o: &Object, firsts: &[Option<usize>], last: &mut usize, r: &Ref| {
            let w = Want::of(o, r);
            let hint = r
                .file
                .and_then(|f| firsts.get(usize::from(f)).copied().flatten())
                .unwrap_or(*last);
            if libs.get(hint).is_some_and(|(_, d)| defines(d, &w)) {
                return true;
            }
            match libs
                .iter()
                .enumerate()
                .position(|(k, (_, d))| k != hint && defines(d, &w))
            {
                Some(k) => {
                    *last = k;
                    true
                }
                None => false,
            }
        };
        // Per `VERNEED` file of `o`, its position in `libs`.
        let firsts_of = |o: &Object| -> Vec<Option<usize>> {
            o.verneeds
                .iter()
                .map(|(file, _)| {
                    let f = self
                        .maps
                        .iter()
                        .find(|p| p.answers_to(file))?
                        .found
                        .as_ref()?;
                    libs.iter().position(|(g, _)| Arc::ptr_eq(g, f))
                })
                .collect()
        };
        let mut problems = Vec::new();
        for (j, m) in self.maps.iter().enumerate() {
            let Some(o) = m.obj() else {
                continue;
            };
            let mut last = 0usize;
            let undefined: Vec<&Ref> = if m.loader.is_none() && !m.is_rtld {
                // The program: against itself and every library.
                let firsts = firsts_of(o);
                o.symbols
                    .refs
                    .iter()
                    .filter(|r| {
                        if in_libs(o, &firsts, &mut last, r) {
                            return false;
                        }
                        let w = Want::of(o, r);
                        !defines(o, &w) && !lfs(w.name)
                    })
                    .collect()
            } else {
                // A library: what its dependencies left open, against every
                // library and the program.
                let open: &[u32] = open_refs
                    .iter()
                    .find(|(k, _)| *k == j)
                    .and_then(|(_, cell)| cell.get())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let firsts = if open.is_empty() {
                    Vec::new()
                } else {
                    firsts_of(o)
                };
                open.iter()
                    .filter_map(|&k| o.symbols.refs.get(k as usize))
                    .filter(|r| {
                        !in_libs(o, &firsts, &mut last, r)
                            && !exe.is_some_and(|e| defines(e, &Want::of(o, r)))
                    })
                    .collect()
            };
            for r in undefined {
                problems.push(self.symbol_problem(m, o, r, musl));
            }
        }
        if !musl {
            problems.extend(self.unversioned_definers());
        }
        for (object, subject, msg) in problems {
            self.out
                .problem("symbol_undefined", RULE_SYMBOL, &object, &subject, msg);
        }
    }

    /// glibc's `check_match` asserts, and the program dies at start, when
    /// the first definer in scope of a versioned reference is the very file
    /// its `VERNEED` names and that file has no `DT_VERSYM` ("a symbol must
    /// not simply disappear"); an earlier definer, or an unversioned one
    /// that is another file, is accepted. Only files without a versym table
    /// can trigger it, so the common case costs one pass over `verneeds`.
    fn unversioned_definers(&self) -> Vec<(String, String, String)> {
        let mut out = Vec::new();
        for m in &self.maps {
            let Some(o) = m.obj() else { continue };
            // (position in verneeds, provider index) of providers without versym.
            let suspects: Vec<(u16, usize)> = o
                .verneeds
                .iter()
                .enumerate()
                .filter_map(|(k, (file, _))| {
                    let at = self.maps.iter().position(|p| p.answers_to(file))?;
                    let po = self.maps.get(at)?.obj()?;
                    (!po.has_versym && po.symbols_known)
                        .then(|| Some((u16::try_from(k).ok()?, at)))
                        .flatten()
                })
                .collect();
            if suspects.is_empty() {
                continue;
            }
            for r in &o.symbols.refs {
                let Some(&(_, at)) = suspects.iter().find(|(k, _)| Some(*k) == r.file) else {
                    continue;
                };
                let w = Want::of(o, r);
                let name = w.name;
                let Some(p) = self.maps.get(at) else { continue };
                let defined_here = p
                    .obj()
                    .is_some_and(|po| po.symbols.find(name, r.hash).any(|d| d.glibc));
                let earlier = self
                    .maps
                    .get(..at)
                    .unwrap_or_default()
                    .iter()
                    .filter_map(Map::obj)
                    .any(|d| glibc_defines(d, &w));
                if !defined_here || earlier {
                    continue;
                }
                let shown = escape_bytes(name);
                let v = w.version.map(|v| escape_bytes(&v.name)).unwrap_or_default();
                out.push((
                    m.shown.clone(),
                    format!("{shown}@{v}"),
                    format!(
                        "Inconsistency detected by ld.so: dl-lookup.c: check_match: \
                         Assertion `version->filename == NULL || ! _dl_name_match_p \
                         (version->filename, map)' failed! ({} defines {shown} without \
                         version information, and {} requires it at version {v} from that file)",
                        p.shown, m.shown
                    ),
                ));
            }
        }
        out
    }

    /// The problem for an undefined symbol, in the loader's words.
    fn symbol_problem(&self, m: &Map, o: &Object, r: &Ref, musl: bool) -> (String, String, String) {
        let exe = &self.exe_shown;
        let name = escape_bytes(o.symbols.name(r));
        if musl {
            let msg = format!("Error relocating {}: {name}: symbol not found", m.shown);
            return (m.shown.clone(), name, msg);
        }
        let (subject, version) = match o.ref_version(r) {
            Some(v) => {
                let v = escape_bytes(&v.name);
                (format!("{name}@{v}"), format!(", version {v}"))
            }
            None => (name.clone(), String::new()),
        };
        let when = if o.bind_now {
            "it is linked with BIND_NOW: the program stops at start-up"
        } else {
            "lazy binding: the program stops at its first use"
        };
        let msg = format!(
            "{exe}: symbol lookup error: {}: undefined symbol: {name}{version} ({when})",
            m.shown
        );
        (m.shown.clone(), subject, msg)
    }

    /// glibc ≥ 2.33 refuses to start when an object needs an x86 ISA
    /// level the CPU lacks (`sysdeps/x86/dl-prop.h`); `ld.so` itself
    /// stops earlier (`dl-get-cpu-features.c`).
    fn isa(&mut self) {
        let cpu = self.s.cpu();
        if cpu.machine != EM_X86_64 || self.ctx.version.is_some_and(|v| v < (2, 33)) {
            return;
        }
        let have = cpu.isa_1();
        let exe = self.exe_shown.clone();
        let mut problems = Vec::new();
        for m in &self.maps {
            let Some(o) = m.obj() else { continue };
            let Some(needed) = o.isa_needed else { continue };
            if needed & !have == 0 || !matches!(o.e_machine, EM_X86_64 | cpu::EM_386) {
                continue;
            }
            let level = 32 - needed.leading_zeros();
            let level_name = cpu::level_name(u8::try_from(level).unwrap_or(u8::MAX));
            let msg = if m.is_rtld {
                format!(
                    "Fatal glibc error: CPU does not support x86-64-v{level} ({} is built for {level_name}; the CPU is {})",
                    m.shown,
                    cpu.level_name()
                )
            } else {
                let who = if m.realname.is_empty() {
                    &exe
                } else {
                    &m.shown
                };
                format!(
                    "{who}: CPU ISA level is lower than required ({level_name} needed, the CPU is {})",
                    cpu.level_name()
                )
            };
            problems.push((m.shown.clone(), level_name, msg));
        }
        for (object, subject, msg) in problems {
            self.out
                .problem("isa_unsupported", RULE_CPU, &object, &subject, msg);
        }
    }

    // --- musl ----------------------------------------------------------

    /// One `DT_NEEDED` of map `i`, as musl's `load_library` handles it.
    fn need_musl(&mut self, i: usize, needed: &[u8]) {
        let who = self.requester_shown(i);
        let fail = |this: &mut Self, errno: i32, kind: &str| {
            let msg = format!(
                "Error loading shared library {}: {} (needed by {who})",
                escape_bytes(needed),
                errtext::musl(errno)
            );
            this.out
                .problem(kind, RULE_LIBRARY, &who, &escape_bytes(needed), msg);
            if this.room() {
                this.missing(i, needed, needed);
            }
        };
        if needed.is_empty() {
            return fail(self, libc::EINVAL, "library_missing");
        }
        if musl_reserved(needed) || needed == self.ctx.interp.as_slice() {
            if let Some(j) = self.maps.iter().position(|m| m.is_rtld) {
                self.add_requester(j, i);
            } else {
                self.take_rtld(i, needed);
            }
            return;
        }
        let searched = !needed.contains(&b'/');
        if searched {
            if let Some(j) = self
                .maps
                .iter()
                .position(|m| m.shortname.as_deref() == Some(needed))
            {
                self.add_requester(j, i);
                return;
            }
            if needed.len() > 255 {
                return fail(self, libc::ENAMETOOLONG, "library_missing");
            }
        }
        if !self.room() {
            return;
        }
        let r = if searched {
            self.search_musl(i, needed)
        } else {
            match self.s.lookup(needed) {
                Lookup::Found(f) => Ok((needed.to_vec(), f, Via::Direct)),
                Lookup::Failed(e) => Err(e),
            }
        };
        let (path, found, via) = match r {
            Ok(hit) => hit,
            Err(errno) => return fail(self, errno, "library_missing"),
        };
        let id = (found.dev, found.ino);
        if let Some(j) = self.maps.iter().position(|m| m.dev_ino() == Some(id)) {
            if let Some(m) = self.maps.get_mut(j)
                && searched
                && m.shortname.is_none()
            {
                m.shortname = Some(needed.to_vec());
            }
            self.add_requester(j, i);
            return;
        }
        if self.rtld.as_ref().is_some_and(|r| r.dev_ino() == Some(id)) {
            self.take_rtld(i, needed);
            return;
        }
        // `map_library`: what musl checks before mapping.
        if let Err(errno) = musl_mappable(&found, self.loader_is_64()) {
            return fail(self, errno, "library_invalid");
        }
        let (_, _, machine) = self.loader_abi();
        // musl maps another machine's library and fails only on its first
        // relocation of a type it does not know.
        if found
            .object()
            .is_some_and(|o| o.e_machine != machine && o.has_relocs)
        {
            let msg = format!(
                "Error relocating {}: unsupported relocation type (built for {})",
                escape_bytes(&path),
                machine_name(found.object().map_or(0, |o| o.e_machine))
            );
            self.out.problem(
                "library_invalid",
                RULE_LIBRARY,
                &who,
                &escape_bytes(needed),
                msg,
            );
        }
        self.maps.push(Map {
            origin: Some(origin_of(&path)),
            shown: escape_bytes(&path),
            found: Some(found),
            names: vec![needed.to_vec()],
            needed: needed.to_vec(),
            realname: path,
            loader: Some(i),
            via: Some(via),
            needed_by: vec![i],
            shortname: searched.then(|| needed.to_vec()),
            is_rtld: false,
        });
    }

    /// musl's order: `LD_LIBRARY_PATH`, then the RPATH/RUNPATH of the
    /// requester and of each object that needed it in turn, then the
    /// system path. `Err(errno)` when nothing was found.
    fn search_musl(&mut self, i: usize, name: &[u8]) -> Result<Hit, i32> {
        let mut errno = libc::ENOENT;
        let llp = std::mem::take(&mut self.llp);
        let r = self.path_open(name, &llp, Via::LdLibraryPath, &mut errno);
        self.llp = llp;
        match r {
            Some(Ok(hit)) => return Ok(hit),
            Some(Err(e)) => return Err(e),
            None => {}
        }
        let mut p = Some(i);
        let mut hops = 0usize;
        while let Some(k) = p {
            hops += 1;
            if hops > MAX_OBJECTS {
                break;
            }
            if let Some((dirs, via)) = self.musl_rpath(k) {
                match self.path_open(name, &dirs, via, &mut errno) {
                    Some(Ok(hit)) => return Ok(hit),
                    Some(Err(e)) => return Err(e),
                    None => {}
                }
            }
            p = self.maps.get(k).and_then(|m| m.loader);
        }
        let sys = self.ctx.sys_path.clone();
        match self.path_open(name, &sys, Via::Default, &mut errno) {
            Some(Ok(hit)) => Ok(hit),
            Some(Err(e)) => Err(e),
            None => Err(errno),
        }
    }

    /// musl's `fixup_rpath`: `DT_RUNPATH` if any, else `DT_RPATH` (the first
    /// of the tag), with `$ORIGIN` expanded; ignored whole when another `$`
    /// appears.
    fn musl_rpath(&self, k: usize) -> Option<(Vec<Vec<u8>>, Via)> {
        let m = self.maps.get(k)?;
        let o = m.obj()?;
        let (raw, via) = match (o.runpath.first(), o.rpath.first()) {
            (Some(r), _) => (r, Via::Runpath),
            (None, Some(r)) => (r, Via::Rpath),
            (None, None) => return None,
        };
        let text: Vec<u8> = if raw.contains(&b'$') {
            let origin = self.origin(k).unwrap_or_else(|| b".".to_vec());
            let mut out = Vec::new();
            let mut k = 0usize;
            while k < raw.len() {
                let rest = raw.get(k..).unwrap_or_default();
                if rest.first() != Some(&b'$') {
                    out.push(rest.first().copied().unwrap_or(0));
                    k += 1;
                } else if rest.starts_with(b"${ORIGIN}") {
                    out.extend_from_slice(&origin);
                    k += 9;
                } else if rest.starts_with(b"$ORIGIN") {
                    out.extend_from_slice(&origin);
                    k += 7;
                } else {
                    return None;
                }
            }
            out
        } else {
            raw.to_vec()
        };
        let dirs = super::ldso::split_musl(&text);
        Some((dirs.into_iter().take(MAX_PATH_ELEMENTS).collect(), via))
    }

    /// musl's `path_open`: `dir/name` in each directory; `None` when not
    /// found (go on), `Some(Err)` when an open error stops the search.
    fn path_open(
        &self,
        name: &[u8],
        dirs: &[Vec<u8>],
        via: Via,
        errno: &mut i32,
    ) -> Option<Result<Hit, i32>> {
        for dir in dirs {
            let mut path = dir.clone();
            path.push(b'/');
            path.extend_from_slice(name);
            // musl builds the name in a 512-byte buffer; longer ones are skipped.
            if path.len() >= 512 {
                continue;
            }
            match self.s.lookup(&path) {
                Lookup::Found(f) => return Some(Ok((path, f, via))),
                Lookup::Failed(e) => {
                    *errno = e;
                    if ![
                        libc::ENOENT,
                        libc::ENOTDIR,
                        libc::EACCES,
                        libc::ENAMETOOLONG,
                    ]
                    .contains(&e)
                    {
                        return Some(Err(e));
                    }
                }
            }
        }
        None
    }
}

/// Checks the kernel makes on `PT_INTERP` before the loader runs
/// (`fs/binfmt_elf.c`); whether the interpreter can start.
fn check_interpreter(
    out: &mut Out,
    exe: &Object,
    interp: &[u8],
    lookup: &Lookup,
    shown: &str,
) -> bool {
    let i = escape_bytes(interp);
    let (kind, errno, why) = match lookup {
        Lookup::Failed(e) if matches!(*e, libc::ENOENT | libc::ENOTDIR) => (
            "interpreter_missing",
            *e,
            format!("its interpreter {i} is not in the image"),
        ),
        Lookup::Failed(e) if *e == libc::EACCES => (
            "interpreter_not_executable",
            *e,
            format!("its interpreter {i} cannot be reached"),
        ),
        Lookup::Failed(e) => (
            "interpreter_invalid",
            *e,
            format!("its interpreter {i}: {}", errtext::glibc(*e)),
        ),
        Lookup::Found(f) => {
            if !f.is_file() {
                (
                    "interpreter_not_executable",
                    libc::EACCES,
                    format!("its interpreter {i} is not a regular file"),
                )
            } else if f.mode & 0o111 == 0 {
                (
                    "interpreter_not_executable",
                    libc::EACCES,
                    format!(
                        "its interpreter {i} has no execute permission (mode {:o})",
                        f.mode & 0o7777
                    ),
                )
            } else {
                let p = f.parsed.as_deref();
                let ehdr: u64 = if exe.is_64 { 64 } else { 52 };
                let head = p.map(|p| p.head.as_slice()).unwrap_or_default();
                if f.len < ehdr {
                    (
                        "interpreter_invalid",
                        libc::EIO,
                        format!(
                            "its interpreter {i} is shorter than an ELF header ({} bytes)",
                            f.len
                        ),
                    )
                } else if !head.starts_with(b"\x7fELF") {
                    (
                        "interpreter_invalid",
                        libc::ELIBBAD,
                        format!("its interpreter {i} is not an ELF file"),
                    )
                } else {
                    match p.and_then(|p| p.object.as_ref().ok()) {
                        Some(o) if o.e_machine != exe.e_machine || o.is_64 != exe.is_64 => (
                            "interpreter_invalid",
                            libc::ELIBBAD,
                            format!(
                                "its interpreter {i} is built for {} ({}-bit)",
                                machine_name(o.e_machine),
                                if o.is_64 { 64 } else { 32 }
                            ),
                        ),
                        Some(o) if o.e_type != 2 && o.e_type != 3 => (
                            "interpreter_invalid",
                            libc::ELIBBAD,
                            format!("its interpreter {i} is not an executable or shared object"),
                        ),
                        Some(_) => return true,
                        None => (
                            "interpreter_invalid",
                            libc::ELIBBAD,
                            format!("its interpreter {i} could not be read as ELF"),
                        ),
                    }
                }
            }
        }
    };
    let msg = format!("exec {shown}: {} ({why})", errtext::glibc(errno));
    out.problem(kind, RULE_INTERPRETER, shown, &i, msg);
    false
}

/// The node runs the program's machine (else `execve` fails with ENOEXEC).
fn node_machine(out: &mut Out, cpu: &cpu::Cpu, o: &Object, shown: &str) {
    if cpu.machine == 0 {
        out.unchecked(
            RULE_CPU,
            format!(
                "the machine elfgate runs on ({}) is not known",
                std::env::consts::ARCH
            ),
        );
        return;
    }
    if !cpu.runs(o.e_machine) {
        let msg = format!(
            "exec {shown}: {} (built for {}, the node is {})",
            errtext::glibc(libc::ENOEXEC),
            machine_name(o.e_machine),
            machine_name(cpu.machine)
        );
        out.problem(
            "machine_mismatch",
            RULE_CPU,
            shown,
            &machine_name(o.e_machine),
            msg,
        );
    }
}

/// Go's runtime refuses to start below its GOAMD64 level (`rt0_go`).
fn go_level(out: &mut Out, cpu: &cpu::Cpu, o: &Object, shown: &str, hints: Hints) {
    let Some(level) = hints.goamd64 else { return };
    if o.e_machine != EM_X86_64 || cpu.machine != EM_X86_64 || level <= cpu.level {
        return;
    }
    let msg = format!(
        "This program can only be run on AMD64 processors with v{level} microarchitecture support. \
         ({shown}: GOAMD64=v{level}, the CPU is {})",
        cpu.level_name()
    );
    out.problem(
        "goamd64_unsupported",
        RULE_CPU,
        shown,
        &format!("v{level}"),
        msg,
    );
}

/// A library target's loader: the root's standard interpreter for its
/// machine, glibc's first.
fn default_interpreter(s: &Session, o: &Object) -> Option<Vec<u8>> {
    let candidates: &[&[u8]] = match (o.e_machine, o.is_64) {
        (62, true) => &[b"/lib64/ld-linux-x86-64.so.2", b"/lib/ld-musl-x86_64.so.1"],
        (62, false) => &[b"/libx32/ld-linux-x32.so.2", b"/lib/ld-musl-x32.so.1"],
        (3, _) => &[b"/lib/ld-linux.so.2", b"/lib/ld-musl-i386.so.1"],
        (183, _) => &[b"/lib/ld-linux-aarch64.so.1", b"/lib/ld-musl-aarch64.so.1"],
        (40, _) => &[
            b"/lib/ld-linux-armhf.so.3",
            b"/lib/ld-linux.so.3",
            b"/lib/ld-musl-armhf.so.1",
        ],
        (21, _) => &[b"/lib64/ld64.so.2", b"/lib/ld-musl-powerpc64le.so.1"],
        (22, _) => &[b"/lib/ld64.so.1", b"/lib/ld-musl-s390x.so.1"],
        (243, _) => &[
            b"/lib/ld-linux-riscv64-lp64d.so.1",
            b"/lib/ld-musl-riscv64.so.1",
        ],
        _ => &[],
    };
    candidates
        .iter()
        .find(|c| matches!(s.lookup(c), Lookup::Found(f) if f.is_file()))
        .map(|c| c.to_vec())
}

/// The maps reachable from `from` along `edges` (itself excluded), each once.
fn reachable(edges: &[Vec<usize>], from: usize) -> Vec<usize> {
    let mut seen = vec![false; edges.len()];
    if let Some(s) = seen.get_mut(from) {
        *s = true;
    }
    let mut stack = vec![from];
    let mut out = Vec::new();
    while let Some(k) = stack.pop() {
        for &n in edges.get(k).map(Vec::as_slice).unwrap_or_default() {
            if let Some(s) = seen.get_mut(n)
                && !*s
            {
                *s = true;
                out.push(n);
                stack.push(n);
            }
        }
    }
    out
}

/// `is_dst`: the length of `$NAME` or `${NAME}` at the start of `input`
/// (the `$` already consumed), braces included; `None` if it is not that DST.
fn is_dst(input: &[u8], name: &[u8]) -> Option<usize> {
    let (curly, body) = match input.strip_prefix(b"{") {
        Some(rest) => (true, rest),
        None => (false, input),
    };
    if !body.starts_with(name) {
        return None;
    }
    let next = body.get(name.len()).copied();
    if curly {
        (next == Some(b'}')).then_some(name.len() + 2)
    } else if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == b'_') {
        None
    } else {
        Some(name.len())
    }
}

/// The directory of a path (`l_origin`): up to its last `/`, keeping a
/// lone leading `/`; a relative path is taken from `/` (the current
/// directory of a pod is not known here).
fn origin_of(path: &[u8]) -> Vec<u8> {
    let mut p = path.to_vec();
    if p.first() != Some(&b'/') {
        p.insert(0, b'/');
    }
    dirname(&p)
}

fn dirname(path: &[u8]) -> Vec<u8> {
    match path.iter().rposition(|&b| b == b'/') {
        Some(0) => b"/".to_vec(),
        Some(k) => path.get(..k).unwrap_or_default().to_vec(),
        None => b".".to_vec(),
    }
}

/// glibc's `check_match` and `do_lookup_x` for reference `r` in object `o`.
fn glibc_defines(o: &Object, w: &Want<'_>) -> bool {
    let defs = o.symbols.find(w.name, w.hash);
    match w.version {
        Some(v) => defs.filter(|d| d.glibc).any(|d| match d.versym {
            None => true,
            Some(raw) => {
                let lv = o.version(raw & 0x7fff);
                let same = lv.is_some_and(|x| x.hash == v.hash && x.name == v.name);
                let lv_hash = lv.map_or(0, |x| x.hash);
                same || !(w.hidden || lv_hash != 0 || raw & 0x8000 != 0)
            }
        }),
        None => {
            let mut versioned = 0usize;
            for d in defs.filter(|d| d.glibc) {
                match d.versym {
                    None => return true,
                    Some(raw) if raw & 0x7fff >= 3 => {
                        if raw & 0x8000 == 0 {
                            versioned += 1;
                        }
                    }
                    Some(_) => return true,
                }
            }
            versioned == 1
        }
    }
}

/// A reference as a lookup needs it: its name, hash and version, read from
/// the object that holds it.
struct Want<'a> {
    name: &'a [u8],
    hash: u32,
    version: Option<&'a object::Version>,
    hidden: bool,
}

impl<'a> Want<'a> {
    fn of(o: &'a Object, r: &Ref) -> Self {
        Want {
            name: o.symbols.name(r),
            hash: r.hash,
            version: o.ref_version(r),
            hidden: r.hidden,
        }
    }
}

/// musl's `find_sym` for a name in object `o` (versions are not checked).
fn musl_defines(o: &Object, name: &[u8], hash: u32) -> bool {
    o.symbols.find(name, hash).any(|d| d.musl)
}

/// musl ≥ 1.2.4 binds old `*64` names to the plain functions (`get_lfs64`).
fn lfs64(ldso: &Object, name: &[u8]) -> bool {
    const LIST: &[&str] = &[
        "aio_cancel",
        "aio_error",
        "aio_fsync",
        "aio_read",
        "aio_return",
        "aio_suspend",
        "aio_write",
        "alphasort",
        "creat",
        "fallocate",
        "fgetpos",
        "fopen",
        "freopen",
        "fseeko",
        "fsetpos",
        "fstat",
        "fstatat",
        "fstatfs",
        "fstatvfs",
        "ftello",
        "ftruncate",
        "ftw",
        "getdents",
        "getrlimit",
        "glob",
        "globfree",
        "lio_listio",
        "lockf",
        "lseek",
        "lstat",
        "mkostemp",
        "mkostemps",
        "mkstemp",
        "mkstemps",
        "mmap",
        "nftw",
        "open",
        "openat",
        "posix_fadvise",
        "posix_fallocate",
        "pread",
        "preadv",
        "prlimit",
        "pwrite",
        "pwritev",
        "readdir",
        "scandir",
        "sendfile",
        "setrlimit",
        "stat",
        "statfs",
        "statvfs",
        "tmpfile",
        "truncate",
        "versionsort",
        "__fxstat",
        "__fxstatat",
        "__lxstat",
        "__xstat",
    ];
    if name == b"readdir64_r" {
        return musl_defines(ldso, b"readdir_r", gnu_hash(b"readdir_r"));
    }
    let Some(base) = name.strip_suffix(b"64") else {
        return false;
    };
    if name.len() >= 16 {
        return false;
    }
    LIST.iter().any(|l| l.as_bytes() == base) && musl_defines(ldso, base, gnu_hash(base))
}

/// musl's names for itself (`load_library`): `libc.so*`, `libpthread`,
/// `librt`, `libm`, `libdl`, `libutil`, `libxnet`, each followed by `.`.
fn musl_reserved(name: &[u8]) -> bool {
    let Some(rest) = name.strip_prefix(b"lib") else {
        return false;
    };
    ["c.", "pthread.", "rt.", "m.", "dl.", "util.", "xnet."]
        .iter()
        .any(|r| rest.starts_with(r.as_bytes()))
}

/// musl's `map_library` checks before mapping: a readable regular file
/// holding a header of its class, `ET_DYN` or `ET_EXEC`, program headers
/// of the expected size. Any else is `ENOEXEC` (or the read's error).
fn musl_mappable(f: &Found, is_64: bool) -> Result<(), i32> {
    if f.is_dir() {
        return Err(libc::EISDIR);
    }
    let Some(p) = f.parsed.as_deref() else {
        return Err(libc::ENOEXEC);
    };
    let ehdr = if is_64 { 64 } else { 52 };
    let b = |i: usize| p.head.get(i).copied().unwrap_or(0);
    if p.head.len() < ehdr {
        return Err(libc::ENOEXEC);
    }
    let big = b(5) == 2;
    let u16_at = |i: usize| {
        let (x, y) = (u16::from(b(i)), u16::from(b(i + 1)));
        if big { (x << 8) | y } else { (y << 8) | x }
    };
    let e_type = u16_at(16);
    let phentsize = u16_at(if is_64 { 54 } else { 42 });
    if !(e_type == 2 || e_type == 3) || phentsize != if is_64 { 56 } else { 32 } {
        return Err(libc::ENOEXEC);
    }
    Ok(())
}

/// A short name for `e_machine`.
fn machine_name(m: u16) -> String {
    let h = crate::elf::Header {
        class: crate::elf::Class::Elf64,
        byte_order: crate::elf::ByteOrder::Little,
        os_abi: 0,
        abi_version: 0,
        e_type: 0,
        e_machine: m,
        e_flags: 0,
        e_entry: 0,
        e_phoff: 0,
        e_shoff: 0,
    };
    h.machine_name()
        .map(str::to_string)
        .unwrap_or_else(|| format!("EM_{m}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dst_tokens_follow_glibc() {
        assert_eq!(is_dst(b"ORIGIN/../lib", b"ORIGIN"), Some(6));
        assert_eq!(is_dst(b"{ORIGIN}/lib", b"ORIGIN"), Some(8));
        assert_eq!(is_dst(b"ORIGINAL", b"ORIGIN"), None);
        assert_eq!(is_dst(b"ORIGIN_X", b"ORIGIN"), None);
        assert_eq!(is_dst(b"{ORIGIN", b"ORIGIN"), None);
        assert_eq!(is_dst(b"LIB", b"LIB"), Some(3));
        assert_eq!(is_dst(b"LIBX", b"LIB"), None);
    }

    #[test]
    fn origins_and_reserved_names() {
        assert_eq!(
            origin_of(b"/opt/demo/bin/../lib/libx.so"),
            b"/opt/demo/bin/../lib"
        );
        assert_eq!(origin_of(b"/libx.so"), b"/");
        assert_eq!(origin_of(b"libx.so"), b"/");
        for n in [
            "libc.so",
            "libc.so.6",
            "libm.so.6",
            "libpthread.so.0",
            "libdl.so.2",
        ] {
            assert!(musl_reserved(n.as_bytes()), "{n}");
        }
        for n in ["libcrypto.so.3", "libmagic.so.1", "librt", "libz.so.1"] {
            assert!(!musl_reserved(n.as_bytes()), "{n}");
        }
    }
}
