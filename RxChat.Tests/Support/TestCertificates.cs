using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace RxChat.Tests.Support;

/// <summary>
/// A certificate authority of a test's own and a server certificate it signs (for <c>localhost</c> and
/// <c>127.0.0.1</c>), made in process and written as PEM files in a directory of their own, removed on dispose.
/// </summary>
internal sealed class TestCertificates : IDisposable
{
    private TestCertificates(string directory) => Directory = directory;

    public string Directory { get; }

    /// <summary>The authority's certificate (PEM).</summary>
    public string CaFile => Path.Combine(Directory, "ca.pem");

    /// <summary>The server's certificate (PEM), signed by the authority.</summary>
    public string CertFile => Path.Combine(Directory, "server.pem");

    /// <summary>The server's private key (PEM, PKCS#8).</summary>
    public string KeyFile => Path.Combine(Directory, "server.key");

    /// <summary>The authority, to trust (and only it) in a TLS client.</summary>
    public X509Certificate2 Authority => X509Certificate2.CreateFromPem(File.ReadAllText(CaFile));

    /// <summary>The thumbprint of the server's certificate (as <see cref="CertFile"/> holds it now).</summary>
    public string ServerThumbprint
    {
        get
        {
            using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertFile));
            return certificate.Thumbprint;
        }
    }

    /// <summary>
    /// Makes an authority and a certificate for <c>localhost</c> and 127.0.0.1 with its key; with
    /// <paramref name="intermediate"/>, the authority signs an intermediate authority that signs the server's
    /// certificate, and <see cref="CertFile"/> holds the certificate then the intermediate, as a full chain file does.
    /// </summary>
    public static TestCertificates Create(string authorityName = "rxchat test ca", bool intermediate = false)
    {
        var directory = System.IO.Directory.CreateTempSubdirectory("rxchat-certs").FullName;
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest($"CN={authorityName}", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: false, 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using var root = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        using var middleKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var middleRequest = new CertificateRequest($"CN={authorityName} intermediate", middleKey, HashAlgorithmName.SHA256);
        middleRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, 0, critical: true));
        middleRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        middleRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(middleRequest.PublicKey, critical: false));
        using var middle = intermediate
            ? middleRequest.Create(root, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8)).CopyWithPrivateKey(middleKey)
            : null;
        var ca = middle ?? root;

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=localhost", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        using var server = serverRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));

        var files = new TestCertificates(directory);
        File.WriteAllText(files.CaFile, root.ExportCertificatePem());
        File.WriteAllText(files.CertFile, server.ExportCertificatePem() + (middle is null ? "" : "\n" + middle.ExportCertificatePem()));
        File.WriteAllText(files.KeyFile, serverKey.ExportPkcs8PrivateKeyPem());
        return files;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
