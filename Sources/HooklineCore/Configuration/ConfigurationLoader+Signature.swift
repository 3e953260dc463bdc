extension ConfigurationLoader {
    /// A source's `signature` section: its scheme, secrets and tolerance.
    static func verifier(_ section: YAMLSection) throws(ConfigurationError) -> SignatureVerifier {
        try section.checkKeys(["scheme", "secret", "secrets", "tolerance", "header", "algorithm", "encoding", "prefix"])
        let schemeName = try section.requiredString("scheme")
        var options = SignatureSchemeOptions(header: try section.string("header"), prefix: try section.string("prefix"))
        if let text = try section.string("algorithm") {
            guard let algorithm = HMACAlgorithm(rawValue: text) else {
                throw section.error("algorithm", "expected sha1, sha256 or sha512, got '\(text)'")
            }
            options.algorithm = algorithm
        }
        if let text = try section.string("encoding") {
            guard let encoding = SignatureEncoding(rawValue: text) else {
                throw section.error("encoding", "expected hex or base64, got '\(text)'")
            }
            options.encoding = encoding
        }
        let single = try section.string("secret")
        let list = try section.strings("secrets")
        if single != nil, list != nil { throw section.error("secrets", "give either secret or secrets, not both") }
        let secretKey = single != nil ? "secret" : "secrets"
        guard let secrets = list ?? single.map({ [$0] }), !secrets.isEmpty, secrets.allSatisfy({ !$0.isEmpty }) else {
            throw section.error("secrets", "required: at least one non-empty secret (use ${ENV_VAR} to keep it out of the file)")
        }
        let tolerance = try section.duration("tolerance") ?? .seconds(300)
        do {
            let scheme = try SignatureSchemes.scheme(named: schemeName, options: options)
            return try SignatureVerifier(scheme: scheme, secrets: secrets, tolerance: tolerance)
        } catch {
            let setting = error.setting.hasPrefix("secrets[") && secretKey == "secret" ? "secret" : error.setting
            throw section.error(setting, error.problem)
        }
    }
}
