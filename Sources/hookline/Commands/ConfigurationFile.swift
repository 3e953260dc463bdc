import HooklineCore
import HooklineServer

/// Loads a configuration file for a command, turning every failure into a usage error (exit 2).
enum ConfigurationFile {
    static func load(_ path: String, environment: [String: String] = ProcessEnvironment.current) throws -> HooklineConfiguration {
        let text: String
        do {
            text = try FileBytes.readText(path)
        } catch {
            throw CommandFailure.usage(error.description)
        }
        do {
            return try ConfigurationLoader.load(yaml: text, file: path, environment: environment)
        } catch {
            throw CommandFailure.usage(error.description)
        }
    }
}
