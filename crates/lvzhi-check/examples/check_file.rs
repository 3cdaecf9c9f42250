//! Runs `lvzhi check` on the given arguments: `cargo run -p lvzhi-check --example check_file -- FILE... [--format json]`.

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let code = lvzhi_check::run_cli(&args, &mut std::io::stdout(), &mut std::io::stderr());
    std::process::exit(code);
}
