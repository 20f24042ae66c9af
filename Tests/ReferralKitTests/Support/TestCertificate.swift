import NIOSSL

/// Self-signed certificates for the connection pool's TLS tests (made with openssl, valid until
/// 2126), each its own trust root.
enum TestCertificate {
    /// Names `localhost` and the address 127.0.0.1.
    case localhostAndLoopback
    /// Names `localhost` only: a client that verifies it reached the server by name, not by
    /// the address it connected to.
    case localhostOnly

    /// The certificate, PEM.
    var certificatePEM: String {
        switch self {
        case .localhostAndLoopback:
            return """
                -----BEGIN CERTIFICATE-----
                MIIBmjCCAUGgAwIBAgIUHW46lXlJztBiK0b/9/cBq/l7ZlMwCgYIKoZIzj0EAwIw
                FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEzMDA1MjkwMVoYDzIxMjYxMTA2
                MDUyOTAxWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
                PQMBBwNCAAQaeNt798/PWHkhdRjJkGeBBGFvHR/1o/2vJjS25WuZ+6MddWCPkP1b
                LXyHDNIRNAia1Qzf71Tuqo8wVFYNNs11o28wbTAdBgNVHQ4EFgQUvmRxoAIfbpvB
                RVFbno/XPx7FglwwHwYDVR0jBBgwFoAUvmRxoAIfbpvBRVFbno/XPx7FglwwDwYD
                VR0TAQH/BAUwAwEB/zAaBgNVHREEEzARgglsb2NhbGhvc3SHBH8AAAEwCgYIKoZI
                zj0EAwIDRwAwRAIhALr1kWk7vBirulta/ZKe/oWOd33OJmek53Trtl8C8jdPAh85
                zF28ECj+rl5luG5PtWwM3lmfrKwLzr36ZZuRB6TM
                -----END CERTIFICATE-----
                """
        case .localhostOnly:
            return """
                -----BEGIN CERTIFICATE-----
                MIIBlTCCATugAwIBAgIUDW8WimwDd2WRwavEuyc5HGVCLxgwCgYIKoZIzj0EAwIw
                FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTEzMDA2MzA1NloYDzIxMjYxMTA2
                MDYzMDU2WjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO
                PQMBBwNCAASO+JQJH9ga1hp9D5BULTfbNo6cjfHtIqcmwtg+xHW1mdFzgnqJvutO
                3+eMO94gHSsxWwcfEU6MLJljYlmOdhRdo2kwZzAdBgNVHQ4EFgQUQjcXmVAsxCZO
                T8xX8GmrLarPczUwHwYDVR0jBBgwFoAUQjcXmVAsxCZOT8xX8GmrLarPczUwDwYD
                VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID
                SAAwRQIgHYVLbOoaH0Exuv/oWaxHbx1CjailAaaM7LyZ/7aVagUCIQCXw8WS1SJo
                ScWdcWdA3JGrNysNEjT2VCIk2prJIwva5w==
                -----END CERTIFICATE-----
                """
        }
    }

    /// Its private key, PEM.
    var privateKeyPEM: String {
        switch self {
        case .localhostAndLoopback:
            return """
                -----BEGIN PRIVATE KEY-----
                MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgOHLMgmwfQEFERF69
                Qu0tRkOnUTBRkBmnnns3jPjzFwahRANCAAQaeNt798/PWHkhdRjJkGeBBGFvHR/1
                o/2vJjS25WuZ+6MddWCPkP1bLXyHDNIRNAia1Qzf71Tuqo8wVFYNNs11
                -----END PRIVATE KEY-----
                """
        case .localhostOnly:
            return """
                -----BEGIN PRIVATE KEY-----
                MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgdG8IuC/KkPMTKRe9
                r28cW8XREk4c3+ZCKgcn3uQVcLShRANCAASO+JQJH9ga1hp9D5BULTfbNo6cjfHt
                Iqcmwtg+xHW1mdFzgnqJvutO3+eMO94gHSsxWwcfEU6MLJljYlmOdhRd
                -----END PRIVATE KEY-----
                """
        }
    }

    /// The certificate, parsed.
    var certificate: NIOSSLCertificate {
        get throws { try NIOSSLCertificate(bytes: Array(self.certificatePEM.utf8), format: .pem) }
    }

    /// A client configuration that trusts this certificate and nothing else.
    var trustingClient: TLSConfiguration {
        get throws {
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.trustRoots = .certificates([try self.certificate])
            return configuration
        }
    }

    /// A server configuration presenting this certificate.
    var server: TLSConfiguration {
        get throws {
            .makeServerConfiguration(
                certificateChain: [.certificate(try self.certificate)],
                privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(self.privateKeyPEM.utf8), format: .pem)))
        }
    }
}
