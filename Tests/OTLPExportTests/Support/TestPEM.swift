/// A real self-signed P-256 certificate and its key (`openssl req -x509 -newkey ec`), made for
/// these tests only and trusted by nothing: PEM text that passes the configuration's checks.
enum TestPEM {
    static let certificate = """
        -----BEGIN CERTIFICATE-----
        MIIBfjCCASWgAwIBAgIUH1RiqjBCDLqBNi1AlDBVik36cG0wCgYIKoZIzj0EAwIw
        FDESMBAGA1UEAwwJdGVzdC1vbmx5MCAXDTI2MTIwNjAxNTEyNloYDzIxMjYxMTEy
        MDE1MTI2WjAUMRIwEAYDVQQDDAl0ZXN0LW9ubHkwWTATBgcqhkjOPQIBBggqhkjO
        PQMBBwNCAATW8/xh7cDG/w4YMZCWri9rATez/3l+3+RFf/u1iOJpqXiTSqElOu5O
        r+sroi75iiFFnCY7eDeLaQLMqjfewrQKo1MwUTAdBgNVHQ4EFgQUQ/MAGtHwT+m/
        wxPZAQ85SRdgcgAwHwYDVR0jBBgwFoAUQ/MAGtHwT+m/wxPZAQ85SRdgcgAwDwYD
        VR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBlvGmHohdCrGsv8eigMrPy
        4JayaGCKD1HmL+JkkB7PDAIgRh3pKtPQPWTKGP5aRso0VPeGJBNPtRNqCaucFHwv
        Bjk=
        -----END CERTIFICATE-----

        """

    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgNhx5vYToIDxmvpMa
        0x63clMkpEZxGOL96qrUTN+Nyl6hRANCAATW8/xh7cDG/w4YMZCWri9rATez/3l+
        3+RFf/u1iOJpqXiTSqElOu5Or+sroi75iiFFnCY7eDeLaQLMqjfewrQK
        -----END PRIVATE KEY-----

        """
}
