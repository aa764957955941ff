using NUnit.Framework;
using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;

namespace RxChat.Tests.Support;

/// <summary>
/// Debian's headless Chromium driven by Debian's chromedriver through Selenium WebDriver, both paths given explicitly
/// (so that Selenium Manager never runs and nothing is downloaded), with a fresh profile of its own and the flags a
/// closed network needs (no background networking, no component updates, no sync). Each window is one page of the
/// web door; reading the page goes through its test hooks (PROTOCOL.md, Doors, Web door): the input <c>#line</c> and
/// the log <c>#log</c>, one child per line received. Waits are the browser's own: a script that resolves when the log
/// holds a line, watched by a <c>MutationObserver</c>; nothing sleeps. Disposing quits Chromium and stops the driver.
/// </summary>
internal sealed class Browser : IDisposable
{
    public const string ChromiumPath = "/usr/bin/chromium";
    public const string DriverPath = "/usr/bin/chromedriver";

    private readonly ChromeDriverService _service;
    private readonly ChromeDriver _driver;
    private readonly string _profile;

    private Browser(ChromeDriverService service, ChromeDriver driver, string profile)
    {
        _service = service;
        _driver = driver;
        _profile = profile;
    }

    /// <summary>Starts Chromium; fails with what to install when Debian's chromium or chromium-driver is missing.</summary>
    public static Browser Start(int width = 900, int height = 700)
    {
        if (!File.Exists(ChromiumPath) || !File.Exists(DriverPath))
        {
            throw new AssertionException(
                "the browser tests need Debian's chromium and chromium-driver (apt-get install -y chromium chromium-driver); ./test.sh installs them when run as root");
        }

        var profile = Directory.CreateTempSubdirectory("rxchat-chromium").FullName;
        var service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(DriverPath)!, Path.GetFileName(DriverPath));
        service.HideCommandPromptWindow = true;
        service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = ChromiumPath };
        options.AddArguments(
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-extensions", "--mute-audio",
            $"--window-size={width},{height}", $"--user-data-dir={profile}");
        try
        {
            var driver = new ChromeDriver(service, options, TimeSpan.FromSeconds(60));
            driver.Manage().Timeouts().AsynchronousJavaScript = LineClient.Timeout;
            return new Browser(service, driver, profile);
        }
        catch
        {
            service.Dispose();
            Directory.Delete(profile, recursive: true);
            throw;
        }
    }

    /// <summary>The window in use.</summary>
    public IWebDriver Driver => _driver;

    /// <summary>Opens <paramref name="uri"/> in the current window; returns the window's handle.</summary>
    public string Open(Uri uri)
    {
        _driver.Navigate().GoToUrl(uri);
        return _driver.CurrentWindowHandle;
    }

    /// <summary>Opens <paramref name="uri"/> in a new window; returns its handle (the new window is current).</summary>
    public string OpenWindow(Uri uri)
    {
        _driver.SwitchTo().NewWindow(WindowType.Window);
        return Open(uri);
    }

    /// <summary>Makes the window <paramref name="handle"/> current.</summary>
    public Browser In(string handle)
    {
        _driver.SwitchTo().Window(handle);
        return this;
    }

    /// <summary>Types <paramref name="text"/> into the page's input and presses Enter, as a person would.</summary>
    public void Say(string text)
    {
        var input = _driver.FindElement(By.Id("line"));
        input.SendKeys(text + Keys.Enter);
    }

    /// <summary>The text of every line in the page's log, in order.</summary>
    public IReadOnlyList<string> Lines() =>
        ((IEnumerable<object>)_driver.ExecuteScript("return Array.from(document.getElementById('log').children, e => e.textContent);")!)
            .Select(o => (string)o).ToList();

    /// <summary>
    /// Waits until the log holds <paramref name="text"/> as a line for the <paramref name="occurrence"/>th time, then
    /// returns every line; fails after <see cref="LineClient.Timeout"/>, saying what the log held.
    /// </summary>
    public IReadOnlyList<string> WaitFor(string text, int occurrence = 1)
    {
        const string script = """
            const [text, occurrence, done] = arguments;
            const log = document.getElementById('log');
            const count = () => Array.from(log.children).filter(e => e.textContent === text).length;
            if (count() >= occurrence) { done(true); return; }
            new MutationObserver((_, observer) => {
              if (count() >= occurrence) { observer.disconnect(); done(true); }
            }).observe(log, { childList: true });
            """;
        try
        {
            _driver.ExecuteAsyncScript(script, text, occurrence);
        }
        catch (WebDriverTimeoutException)
        {
            throw new AssertionException($"the page's log never held '{text}' ({occurrence}); it held: {string.Join(" | ", Lines())}");
        }

        return Lines();
    }

    /// <summary>Runs a script in the page and returns its result.</summary>
    public object? Script(string script, params object[] arguments) => _driver.ExecuteScript(script, arguments);

    /// <summary>Saves a screenshot of the current window as PNG.</summary>
    public void Screenshot(string path) => _driver.GetScreenshot().SaveAsFile(path);

    public void Dispose()
    {
        try
        {
            _driver.Quit();
        }
        finally
        {
            _driver.Dispose();
            _service.Dispose();
            try
            {
                Directory.Delete(_profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium's last writes may race the delete; the folder is in /tmp.
            }
        }
    }
}
