import SystemPackage

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A file operation that failed, with the path and the system's reason.
package struct FileError: Error, Sendable, Hashable, CustomStringConvertible {
    package let path: String
    package let operation: String
    package let reason: String
    /// The `errno`, when the system gave one.
    package let code: Int32?

    package init(path: String, operation: String, errno code: Int32) {
        self.path = path
        self.operation = operation
        self.reason = String(cString: strerror(code)).lowercased()
        self.code = code
    }

    package init(path: String, operation: String, reason: String) {
        self.path = path
        self.operation = operation
        self.reason = reason
        self.code = nil
    }

    /// From what swift-system threw (an `Errno`).
    package init(path: String, operation: String, _ error: any Error) {
        if let errno = error as? Errno {
            self.init(path: path, operation: operation, errno: errno.rawValue)
        } else {
            self.init(path: path, operation: operation, reason: "\(error)")
        }
    }

    package var description: String { "cannot \(operation) \(path): \(reason)" }
}
