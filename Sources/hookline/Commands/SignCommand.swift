import ArgumentParser
import HooklineCore
import HooklineServer
import HooklineTools

/// `hookline sign`: the headers a sender would attach to a body, so anyone can hand-craft a
/// valid request with curl.
struct SignCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign",
        abstract: "Print the signature headers a sender would send with FILE's bytes.",
        discussion: """
            Schemes: \(SignatureSchemes.names.joined(separator: ", ")). The hmac scheme also \
            takes --header, --algorithm, --encoding and --prefix.

            Example:
              hookline sign --scheme standard-webhooks --secret-env HOOKLINE_SECRET \\
                --curl http://127.0.0.1:8080/webhooks/standard Fixtures/standard/contact-updated.json
            """
    )

    @Option(help: "Signature scheme (\(SignatureSchemes.names.joined(separator: ", "))).")
    var scheme: String

    @Option(help: "The signing secret. Prefer --secret-env: a flag is visible to other users in ps.")
    var secret: String?

    @Option(name: .customLong("secret-env"), help: "Read the secret from this environment variable.")
    var secretEnvironment: String?

    @Option(help: "Message id for schemes that sign one (default: a random msg_… id).")
    var id: String?

    @Option(help: "Unix timestamp in seconds for timestamped schemes (default: now).")
    var timestamp: Int64?

    @Option(help: "hmac scheme: the signature header's name.")
    var header: String?

    @Option(help: "hmac scheme: sha1, sha256 or sha512 (default sha256).")
    var algorithm: HMACAlgorithm?

    @Option(help: "hmac scheme: hex or base64 (default hex).")
    var encoding: SignatureEncoding?

    @Option(help: "hmac scheme: text before the signature, e.g. sha256=.")
    var prefix: String?

    @Option(help: "Print a complete curl command that POSTs FILE to this URL instead of bare headers.")
    var curl: String?

    @Argument(help: "The body to sign, byte for byte ('-' for standard input).")
    var file: String

    func run() throws {
        Console.show(try render(), terminator: "")
    }

    /// The command's output: `Name: value` lines, or a curl command.
    func render(environment: [String: String] = ProcessEnvironment.current) throws -> String {
        let secret = try resolvedSecret(environment: environment)
        let options = SignatureSchemeOptions(header: header, algorithm: algorithm, encoding: encoding, prefix: prefix)
        let signer: SignatureSigner
        do {
            signer = try SignatureSigner(scheme: SignatureSchemes.scheme(named: scheme, options: options), secret: secret)
        } catch {
            throw CommandFailure.usage("--\(error.setting): \(error.problem)")
        }
        let body: [UInt8]
        do {
            body = try FileBytes.read(file)
        } catch {
            throw CommandFailure.usage(error.description)
        }
        let headers: [HeaderField]
        do {
            headers = try signer.headers(
                for: body,
                messageID: id ?? MessageIDGenerator.random(),
                timestamp: timestamp ?? UnixTime.now().seconds
            )
        } catch {
            throw CommandFailure.runtime(error.description)
        }
        guard let curl else {
            return headers.map { "\($0.name): \($0.value)\n" }.joined()
        }
        return CurlCommand.render(url: curl, headers: headers, file: file)
    }

    private func resolvedSecret(environment: [String: String]) throws -> String {
        switch (secret, secretEnvironment) {
        case (let secret?, nil):
            return secret
        case (nil, let name?):
            guard let value = environment[name], !value.isEmpty else {
                throw CommandFailure.usage("--secret-env: environment variable \(name) is not set")
            }
            return value
        case (nil, nil):
            throw CommandFailure.usage("give the signing secret with --secret or --secret-env")
        case (_?, _?):
            throw CommandFailure.usage("give either --secret or --secret-env, not both")
        }
    }
}

extension HMACAlgorithm: ExpressibleByArgument {}
extension SignatureEncoding: ExpressibleByArgument {}
