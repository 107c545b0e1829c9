//! Deleting the export files an erasure named: only files directly in the
//! folder given, nothing outside it, and only for a role that may erase.

use std::sync::Arc;

use tresor_core::clock::SystemClock;
use tresor_core::crypto::KdfParams;
use tresor_core::model::roles::Role;
use tresor_core::session::Session;

#[test]
fn only_files_directly_in_the_folder_are_deleted_and_only_by_who_may_erase() {
    let tmp = tempfile::tempdir().expect("tmp");
    let (mut s, _) = Session::create(
        &tmp.path().join("vault"),
        "ada",
        b"admin passphrase",
        KdfParams::FLOOR,
        Arc::new(SystemClock),
    )
    .expect("create");
    let exports = tmp.path().join("exports");
    std::fs::create_dir_all(exports.join("sub")).expect("dirs");
    let file = |p: &std::path::Path| {
        std::fs::write(p, "x").expect("write");
        p.display().to_string()
    };
    let listed = file(&exports.join("legal-basis-erika.xlsx"));
    let nested = file(&exports.join("sub").join("keep.csv"));
    let outside = file(&tmp.path().join("outside.csv"));
    let sneaky = format!("{}/../outside.csv", exports.display());

    for bad in [&nested, &outside, &sneaky] {
        let err = s
            .delete_files_in(&exports, std::slice::from_ref(bad))
            .expect_err("refused");
        assert!(err.to_string().contains("is not a file in"), "{err}");
    }
    assert!(std::path::Path::new(&nested).exists());
    assert!(std::path::Path::new(&outside).exists());

    s.add_user("ida", Role::Agent, b"agent passphrase")
        .expect("agent");
    let agent = Session::unlock(
        &tmp.path().join("vault"),
        "ida",
        b"agent passphrase",
        Arc::new(SystemClock),
    )
    .expect("agent");
    assert!(
        agent
            .delete_files_in(&exports, std::slice::from_ref(&listed))
            .is_err(),
        "an agent may not erase"
    );
    assert!(std::path::Path::new(&listed).exists());

    // Deleted once; a second time it is already gone, which is fine.
    assert_eq!(
        s.delete_files_in(&exports, std::slice::from_ref(&listed))
            .expect("delete"),
        1
    );
    assert!(!std::path::Path::new(&listed).exists());
    assert_eq!(
        s.delete_files_in(&exports, std::slice::from_ref(&listed))
            .expect("again"),
        0
    );
}
