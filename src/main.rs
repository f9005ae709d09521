fn main() -> std::process::ExitCode {
    gatesim::cli::main()
}
