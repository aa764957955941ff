namespace RxChat.Tests.Support;

/// <summary>
/// NUnit categories for tests that need a program from outside .NET, named for it. <c>./test.sh</c> installs each
/// one when it is missing (Debian's packages), or leaves its tests out and says what to install;
/// <c>dotnet test --filter "Category!=Redis"</c> runs what needs only the SDK.
/// </summary>
internal static class Needs
{
    /// <summary>A real <c>redis-server</c> (Debian's <c>redis-server</c> package), started by the test.</summary>
    public const string Redis = "Redis";

    /// <summary>The <c>openssl</c> command (Debian's <c>openssl</c> package), as a TLS client (<c>openssl s_client</c>).</summary>
    public const string OpenSsl = "OpenSsl";

    /// <summary>A real IRC client, Debian's <c>ii</c> (the <c>ii</c> package), driven through its files.</summary>
    public const string IrcClient = "IrcClient";

    /// <summary>
    /// Debian's headless <c>chromium</c> and its <c>chromedriver</c> (packages <c>chromium</c> and <c>chromium-driver</c>, the
    /// same version), driven by Selenium WebDriver: the web door's page in a real browser.
    /// </summary>
    public const string Browser = "Browser";
}
