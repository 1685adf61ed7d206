import ArgumentParser
import Foundation

/// Writes `message` to standard error, prefixed with the command's name.
func complain(_ message: String) {
    FileHandle.standardError.write(Data("mellea-trace: \(message)\n".utf8))
}

/// Exit status 1: the command ran but did not do what it was asked (see ``MelleaTrace``).
let failed = ExitCode(1)
