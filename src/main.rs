//! The `coreheat` binary: parses the command line and hands it to the library.

fn main() {
    let cli = coreheat::cli::parse();
    match coreheat::cli::dispatch::execute(cli) {
        Ok(code) => std::process::exit(code),
        Err(error) => {
            use coreheat::util::output::{error_messages, print_err_line};
            let messages = error_messages(&error);
            print_err_line(&format!("coreheat: error: {}", messages[0]));
            for cause in &messages[1..] {
                print_err_line(&format!("  caused by: {cause}"));
            }
            let code = error
                .downcast_ref::<coreheat::capture::run::ExitCodeError>()
                .map_or(2, |e| e.code);
            std::process::exit(code);
        }
    }
}
