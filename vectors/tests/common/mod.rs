//! What the vector test files share: one `#[test]` per vector file, and a test that every
//! file on disk is listed, so that a new file cannot silently go unrun.

/// `vector_files!(dir(), run_file; test_name => "file.json", checks: "[ID] ...", ...)`.
#[macro_export]
macro_rules! vector_files {
    ($dir:expr, $run:ident; $($test:ident => $file:literal, checks: $checks:literal;)*) => {
        $(
            #[doc = concat!("checks: ", $checks)]
            #[test]
            fn $test() {
                $run($file);
            }
        )*

        /// A file added to the directory must be listed here too, or it would silently not
        /// run.
        /// checks: [FRAME-1]
        #[test]
        fn every_vector_file_is_run() {
            let mut on_disk: Vec<String> = std::fs::read_dir($dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect();
            on_disk.sort();
            let mut listed = vec![$($file.to_string()),*];
            listed.sort();
            assert_eq!(on_disk, listed);
        }
    };
}
