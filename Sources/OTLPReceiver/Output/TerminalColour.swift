#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether output to a file descriptor may be coloured: only on a terminal, and never when
/// `NO_COLOR` is set to a non-empty value (https://no-color.org).
package enum TerminalColour {
    /// `true` when `descriptor` is a terminal and `environment` has no non-empty `NO_COLOR`.
    package static func isEnabled(descriptor: Int32 = 1, environment: [String: String]) -> Bool {
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        return isatty(descriptor) == 1
    }
}
