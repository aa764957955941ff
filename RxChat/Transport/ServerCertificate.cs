using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace RxChat.Transport;

/// <summary>
/// The server's TLS certificate, from a PEM certificate file (the server's certificate first, then any intermediate
/// authorities) and a PEM private key file, reloaded when either file changes: each new handshake asks for
/// <see cref="Options"/>, which compares the files' modification times and lengths with those last read (two
/// <c>stat</c> calls, no reading) and loads the pair again when they differ. Connections keep the certificate they
/// were made with. A pair that cannot be loaded (a certificate written before its key, say) leaves the one in use in
/// place and is tried again at the next change. Thread-safe.
/// </summary>
/// <remarks>
/// The certificate is re-imported through PKCS#12, so that its key is not an ephemeral one (which Windows' TLS
/// rejects), and served through an <see cref="SslStreamCertificateContext"/> built once per load, offline: no chain is
/// built and nothing is fetched per handshake.
/// </remarks>
internal sealed class ServerCertificate
{
    private readonly string _certificateFile;
    private readonly string _keyFile;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();

    // What the files looked like when they were last read (successfully or not); guarded by _gate.
    private (Stamp Certificate, Stamp Key) _stamps;

    // The options new handshakes get, and the certificate in them; guarded by _gate.
    private SslServerAuthenticationOptions _options;
    private X509Certificate2 _certificate;

    private ServerCertificate(string certificateFile, string keyFile, ILogger logger, (Stamp, Stamp) stamps, (SslServerAuthenticationOptions Options, X509Certificate2 Certificate) loaded)
    {
        _certificateFile = certificateFile;
        _keyFile = keyFile;
        _logger = logger;
        _stamps = stamps;
        (_options, _certificate) = loaded;
    }

    /// <summary>
    /// The authentication options for the next handshake, with the certificate the files hold now (reloaded if they
    /// changed since they were last read).
    /// </summary>
    public SslServerAuthenticationOptions Options
    {
        get
        {
            var stamps = (StampOf(_certificateFile), StampOf(_keyFile));
            lock (_gate)
            {
                if (stamps != _stamps)
                {
                    Reload(stamps);
                }

                return _options;
            }
        }
    }

    /// <summary>The certificate new handshakes present (as of the last <see cref="Options"/>).</summary>
    public X509Certificate2 Certificate
    {
        get
        {
            lock (_gate)
            {
                return _certificate;
            }
        }
    }

    /// <summary>Loads the certificate and key; logs what it loaded.</summary>
    /// <param name="certificateFile">A PEM file: the server's certificate, then any intermediate authorities.</param>
    /// <param name="keyFile">A PEM file holding the certificate's private key, unencrypted (it may be the same file).</param>
    /// <param name="logger">Where the loads and failed reloads go; null for nowhere.</param>
    /// <exception cref="ArgumentNullException">A file name is null.</exception>
    /// <exception cref="ArgumentException">
    /// A file cannot be read, or holds no certificate, or no key that matches it; <see cref="ArgumentException.ParamName"/>
    /// says which (<c>certificateFile</c> or <c>keyFile</c>), and the message says why.
    /// </exception>
    public static ServerCertificate Load(string certificateFile, string keyFile, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(certificateFile);
        ArgumentNullException.ThrowIfNull(keyFile);
        logger ??= NullLogger.Instance;
        var stamps = (StampOf(certificateFile), StampOf(keyFile));
        var loaded = Read(certificateFile, keyFile);
        TransportLog.CertificateLoaded(logger, certificateFile, loaded.Certificate.Subject, loaded.Certificate.Thumbprint, loaded.Certificate.NotAfter.ToUniversalTime());
        return new ServerCertificate(certificateFile, keyFile, logger, stamps, loaded);
    }

    private void Reload((Stamp, Stamp) stamps)
    {
        // Tried once per change: a pair that fails now is tried again when a file changes again.
        _stamps = stamps;
        try
        {
            (_options, _certificate) = Read(_certificateFile, _keyFile);
            TransportLog.CertificateLoaded(_logger, _certificateFile, _certificate.Subject, _certificate.Thumbprint, _certificate.NotAfter.ToUniversalTime());
        }
        catch (ArgumentException e)
        {
            TransportLog.CertificateReloadFailed(_logger, e.Message, _certificate.Thumbprint);
        }
    }

    private static (SslServerAuthenticationOptions Options, X509Certificate2 Certificate) Read(string certificateFile, string keyFile)
    {
        var certificatePem = ReadText(certificateFile, nameof(certificateFile));
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(certificatePem);
        }
        catch (CryptographicException e)
        {
            throw new ArgumentException($"'{certificateFile}' holds no readable PEM certificate: {e.Message}", nameof(certificateFile), e);
        }

        if (chain.Count == 0)
        {
            throw new ArgumentException($"'{certificateFile}' holds no PEM certificate (-----BEGIN CERTIFICATE-----)", nameof(certificateFile));
        }

        var keyPem = ReadText(keyFile, nameof(keyFile));
        X509Certificate2 certificate;
        try
        {
            using var ephemeral = X509Certificate2.CreateFromPem(certificatePem, keyPem);
            certificate = X509CertificateLoader.LoadPkcs12(ephemeral.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // ArgumentException: a key of another certificate.
            throw new ArgumentException(
                $"'{keyFile}' holds no unencrypted PEM private key that matches the certificate in '{certificateFile}': {e.Message}", nameof(keyFile), e);
        }

        var context = SslStreamCertificateContext.Create(certificate, new X509Certificate2Collection(chain.Skip(1).ToArray()), offline: true);
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            EnabledSslProtocols = SslProtocols.None, // the system's choice: TLS 1.2 and 1.3 on current systems
            AllowRenegotiation = false,
        };
        return (options, certificate);
    }

    private static string ReadText(string file, string parameter)
    {
        try
        {
            return File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ArgumentException($"'{file}' cannot be read: {e.Message}", parameter, e);
        }
    }

    private static Stamp StampOf(string file)
    {
        var info = new FileInfo(file);
        return info.Exists ? new Stamp(info.LastWriteTimeUtc, info.Length) : default;
    }

    private readonly record struct Stamp(DateTime Written, long Length);
}
