//! The `coreheat` binary: parses the command line and hands it to the library.

fn main() {
    let cli = coreheat::cli::parse();
    match coreheat::cli::dispatch::execute(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            use coreheat::util::output::print_err_line;
            print_err_line(&format!("coreheat: error: {error}"));
            for cause in error.chain().skip(1) {
                print_err_line(&format!("  caused by: {cause}"));
            }
            let code = error
                .downcast_ref::<coreheat::capture::run::ExitCodeError>()
                .map_or(2, |e| e.code);
            std::process::exit(code);
        }
    }
}
