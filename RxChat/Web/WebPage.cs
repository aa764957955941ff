using System.Security.Cryptography;
using System.Text;

namespace RxChat.Web;

/// <summary>
/// The web door's page (<c>GET /</c>): one HTML file embedded in the assembly (<c>Web/index.html</c>), its script and
/// style inside it, nothing fetched from elsewhere (PROTOCOL.md, Doors, Web door). It is served with a
/// Content-Security-Policy that allows exactly that inline script and style (by their SHA-256, computed here from the
/// file as embedded), connections to its own origin (the WebSocket) and nothing else: no other script, style, image,
/// font, frame or form target, so that even a line that got rendered as markup could not run or load anything.
/// </summary>
internal static class WebPage
{
    /// <summary>The page as UTF-8 bytes.</summary>
    public static ReadOnlyMemory<byte> Html { get; }

    /// <summary>The <c>Content-Security-Policy</c> header's value for the page.</summary>
    public static string ContentSecurityPolicy { get; }

    static WebPage()
    {
        using var stream = typeof(WebPage).Assembly.GetManifestResourceStream("RxChat.Web.index.html")
            ?? throw new InvalidOperationException("the web page is not embedded in the assembly (RxChat.Web.index.html)");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var html = reader.ReadToEnd();
        Html = Encoding.UTF8.GetBytes(html);
        ContentSecurityPolicy = string.Join("; ",
            "default-src 'none'",
            $"script-src {Hashes(html, "script")}",
            $"style-src {Hashes(html, "style")}",
            "connect-src 'self'",
            "img-src 'none'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'");
    }

    // The CSP hash sources of every inline <tag>...</tag> element's text, exactly as the browser hashes it.
    private static string Hashes(string html, string tag)
    {
        var sources = new List<string>();
        var at = 0;
        while (html.IndexOf($"<{tag}>", at, StringComparison.Ordinal) is var open and >= 0)
        {
            var start = open + tag.Length + 2;
            var end = html.IndexOf($"</{tag}>", start, StringComparison.Ordinal);
            if (end < 0)
            {
                throw new InvalidOperationException($"the web page has an unclosed <{tag}>");
            }

            sources.Add($"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(html[start..end])))}'");
            at = end;
        }

        return sources.Count == 0 ? "'none'" : string.Join(' ', sources);
    }
}
