#![allow(clippy::unwrap_used)]
//! What a package installs: the man page and completions made from the
//! options (`--generate`), the config in force (`--dump-config`), sngrep's
//! spellings, and the `cargo deb` assets.

use std::process::{Command, Output};

fn sipscope(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sipscope"))
        .args(args)
        .arg("--log-file")
        .arg(std::env::temp_dir().join("sipscope-test.log"))
        .output()
        .unwrap()
}

fn repo(path: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// `assets/` holds what `--generate` prints, so the package installs pages
/// that match the binary. After changing an option:
/// `for w in man bash zsh fish; do ...` (see `regenerate` below), or run this
/// test with `SIPSCOPE_REGENERATE=1`.
#[test]
fn the_man_page_and_completions_in_assets_are_current() {
    let files = [
        ("man", "assets/sipscope.1"),
        ("bash", "assets/completions/sipscope.bash"),
        ("zsh", "assets/completions/_sipscope"),
        ("fish", "assets/completions/sipscope.fish"),
    ];
    for (what, path) in files {
        let out = Command::new(env!("CARGO_BIN_EXE_sipscope"))
            .args(["--generate", what])
            .output()
            .unwrap();
        assert!(out.status.success(), "--generate {what}");
        let text = String::from_utf8(out.stdout).unwrap();
        if std::env::var_os("SIPSCOPE_REGENERATE").is_some() {
            std::fs::create_dir_all(repo(path).parent().unwrap()).unwrap();
            std::fs::write(repo(path), &text).unwrap();
        }
        let kept = std::fs::read_to_string(repo(path)).unwrap_or_default();
        assert!(
            kept == text,
            "{path} is not what `sipscope --generate {what}` prints: run this test with SIPSCOPE_REGENERATE=1"
        );
    }
    let man = std::fs::read_to_string(repo("assets/sipscope.1")).unwrap();
    assert!(man.contains(".TH sipscope 1"), "a section 1 man page");
    assert!(man.contains("hep\\-listen"), "every option is in it");
    let bash = std::fs::read_to_string(repo("assets/completions/sipscope.bash")).unwrap();
    assert!(bash.contains("--dump-config") && bash.contains("complete -F"));
}

#[test]
fn cargo_deb_installs_binary_man_page_completions_readme_and_example_config() {
    let manifest: toml::Table = std::fs::read_to_string(repo("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let package = manifest["package"].as_table().unwrap();
    assert!(package.contains_key("description"));
    let deb = package["metadata"]["deb"].as_table().unwrap();
    let assets = deb["assets"].as_array().unwrap();
    let mut targets = Vec::new();
    for a in assets {
        let a = a.as_array().unwrap();
        let (source, target) = (a[0].as_str().unwrap(), a[1].as_str().unwrap());
        if !source.starts_with("target/") {
            assert!(repo(source).is_file(), "{source} is packaged but missing");
        }
        targets.push(target.to_owned());
    }
    for dir in [
        "usr/bin/",
        "usr/share/man/man1/",
        "usr/share/bash-completion/completions/sipscope",
        "usr/share/zsh/vendor-completions/",
        "usr/share/fish/vendor_completions.d/",
        "usr/share/doc/sipscope/",
    ] {
        assert!(targets.iter().any(|t| t == dir), "nothing goes to {dir}");
    }
    // The example config is one sipscope reads.
    let out = sipscope(&["--config", "assets/config.example.toml", "-D"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn dump_config_prints_the_configuration_in_force_as_toml_that_reads_back() {
    let dir = std::env::temp_dir().join(format!("sipscope-dump-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("in.toml");
    std::fs::write(
        &file,
        "columns = [\"index\", \"state\"]\n[aliases]\n\"192.0.2.10\" = \"pbx\"\n[keys]\nquit = [\"x\"]\n",
    )
    .unwrap();
    let out = sipscope(&["--config", file.to_str().unwrap(), "--dump-config"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let active: toml::Table = text.parse().unwrap();
    assert_eq!(active["columns"].as_array().unwrap().len(), 2);
    assert_eq!(active["aliases"]["192.0.2.10"].as_str(), Some("pbx"));
    assert_eq!(
        active["keys"]["quit"].as_array().unwrap()[0].as_str(),
        Some("x")
    );
    // Every action is listed with the keys in force, defaults included.
    assert_eq!(
        active["keys"]["help"].as_array().unwrap().len(),
        3,
        "{text}"
    );
    assert!(text.contains("autoscroll is not set"));
    // Read back, it is the same configuration.
    let again = dir.join("again.toml");
    std::fs::write(&again, &text).unwrap();
    let out2 = sipscope(&["-D", "--config", again.to_str().unwrap()]);
    assert!(
        out2.status.success(),
        "{}",
        String::from_utf8_lossy(&out2.stderr)
    );
    assert_eq!(String::from_utf8(out2.stdout).unwrap(), text);
}

#[test]
fn sngreps_spellings_read_capture_and_write() {
    let sample = repo("assets/sample.pcap");
    let sample = sample.to_str().unwrap();
    // -I FILE is -r FILE.
    let by_r = sipscope(&["-r", sample, "-N", "--report", "stats"]);
    let by_i = sipscope(&["-I", sample, "-N", "--report", "stats"]);
    assert!(
        by_i.status.success(),
        "{}",
        String::from_utf8_lossy(&by_i.stderr)
    );
    assert_eq!(by_i.stdout, by_r.stdout);
    // -O FILE is -w FILE; -q prints no report.
    let dir = std::env::temp_dir().join(format!("sipscope-sngrep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out_file = dir.join("all.pcap");
    let out = sipscope(&["-I", sample, "-N", "-O", out_file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sipscope::replay(&out_file).unwrap().len(), 11);
    let quiet = sipscope(&["-I", sample, "-N", "-q"]);
    assert!(quiet.status.success());
    assert!(quiet.stdout.is_empty(), "-q: no report");
    // -d DEV is -i IFACE: an interface that does not exist says so as -i does.
    let d = sipscope(&["-d", "nosuchif0", "-N"]);
    let i = sipscope(&["-i", "nosuchif0", "-N"]);
    assert_eq!(d.status.code(), i.status.code());
    assert_eq!(d.stderr, i.stderr);
    assert_ne!(
        d.status.code(),
        Some(2),
        "-d is understood, not a usage error"
    );
}
