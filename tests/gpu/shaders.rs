//! Every WGSL file parses and validates with naga, and defines the entry points its Rust file
//! dispatches: a plain `cargo test`, no GPU needed.

use cosmograd::backend::gpu::shaders;
use wgpu::naga;

#[test]
fn every_shader_is_valid_wgsl() {
    let all = shaders();
    assert!(all.len() >= 13, "one shader per kernel family, found {}", all.len());
    for s in all {
        let module = naga::front::wgsl::parse_str(s.source)
            .unwrap_or_else(|e| panic!("shaders/{}.wgsl does not parse:\n{}", s.name, e.emit_to_string(s.source)));
        let mut v = naga::valid::Validator::new(naga::valid::ValidationFlags::all(), naga::valid::Capabilities::empty());
        if let Err(e) = v.validate(&module) {
            panic!("shaders/{}.wgsl is invalid:\n{}", s.name, e.emit_to_string(s.source));
        }
        assert!(!module.entry_points.is_empty(), "shaders/{}.wgsl has no entry point", s.name);
        // Every entry point the Rust file of the same name dispatches exists in the shader.
        let rust = std::fs::read_to_string(format!("{}/src/backend/gpu/{}.rs", env!("CARGO_MANIFEST_DIR"), s.name)).unwrap();
        for ep in &module.entry_points {
            assert!(
                rust.contains(&format!("\"{}\"", ep.name)),
                "shaders/{}.wgsl defines `{}` but src/backend/gpu/{}.rs never dispatches it",
                s.name,
                ep.name,
                s.name
            );
        }
    }
}

#[test]
fn workgroup_sizes_are_override_constants() {
    // One-dimensional kernels take their workgroup size from `override WG` (set per pipeline),
    // not from text substitution; tile sizes that size workgroup arrays are `const`s.
    for s in shaders() {
        if s.source.contains("@workgroup_size(WG)") {
            assert!(s.source.contains("override WG: u32"), "shaders/{}.wgsl", s.name);
        }
        assert!(!s.source.contains("{{"), "shaders/{}.wgsl looks templated", s.name);
    }
}
