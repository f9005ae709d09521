/// mimalloc: the simulator allocates and frees small objects at a high rate (futures, frames,
/// segments, trace records), and glibc's malloc spent a tenth of a large run on it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    gatesim::cli::main()
}
