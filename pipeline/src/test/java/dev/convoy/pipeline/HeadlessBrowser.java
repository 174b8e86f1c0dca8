package dev.convoy.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Debian's {@code chromium-headless-shell} (installed by {@code .ci/run}) driven from its command
 * line: load a local page, let its scripts run (virtual time), then dump the DOM or take a
 * screenshot. A test using it is skipped, with a message, where the browser is absent. Console
 * lines that report an uncaught error fail the call.
 */
public final class HeadlessBrowser {
  private static final Path BINARY = Path.of("/usr/bin/chromium-headless-shell");
  private static final int BUDGET_MS = 10_000;

  private HeadlessBrowser() {}

  public static HeadlessBrowser find() {
    assumeTrue(Files.isExecutable(BINARY),
        BINARY + " is absent (.ci/run installs the chromium-headless-shell package): skipped");
    return new HeadlessBrowser();
  }

  /** The DOM of {@code page} after its scripts ran. */
  public String dumpDom(Path page) throws IOException, InterruptedException {
    return run(page, "--dump-dom");
  }

  /** A PNG screenshot of {@code page} after its scripts ran. */
  public void screenshot(Path page, Path png) throws IOException, InterruptedException {
    Files.createDirectories(png.toAbsolutePath().getParent());
    Files.deleteIfExists(png);
    run(page, "--screenshot=" + png.toAbsolutePath(), "--window-size=1280,2600",
        "--hide-scrollbars");
    assertTrue(Files.isRegularFile(png), "no screenshot written to " + png);
  }

  /**
   * Loads {@code html}, checks that no script failed and that each of its (at least {@code
   * minCharts}) charts was drawn: vega-embed finished and left an SVG of marks with a real size;
   * then writes a screenshot to {@code png}. Returns the DOM.
   */
  public String assertChartsRender(Path html, int minCharts, Path png)
      throws IOException, InterruptedException {
    String dom = dumpDom(html);
    int charts = count(dom, "<div class=\"chart[^\"]*\" id=\"chart\\d+\"");
    assertTrue(charts >= minCharts, html + ": " + charts + " charts, expected " + minCharts);
    assertEquals(charts, count(dom, "id=\"chart\\d+\"[^>]*data-rendered=\"1\"[^>]*>"
        + "<svg[^>]*class=\"marks\" width=\"[1-9]\\d*\" height=\"[1-9]"), html + ": " + dom);
    assertTrue(count(dom, "<g class=\"mark-(rect|symbol)") >= charts, html + ": no bars or points");
    assertTrue(dom.contains("data-charts=\"rendered\""), html + ": charts did not finish");
    assertEquals(0, count(dom, "<html[^>]*data-errors"), html + ": script errors: " + dom);
    screenshot(html, png);
    assertTrue(Files.size(png) > 10_000, png + " is too small to show a page");
    return dom;
  }

  private static int count(String text, String regex) {
    return (int) Pattern.compile(regex).matcher(text).results().count();
  }

  private String run(Path page, String... what) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("chromium-profile");
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--no-sandbox", "--disable-gpu",
        "--no-first-run", "--user-data-dir=" + profile, "--enable-logging=stderr", "--v=0",
        "--virtual-time-budget=" + BUDGET_MS));
    cmd.addAll(List.of(what));
    cmd.add(page.toAbsolutePath().toUri().toString());
    Path out = Files.createTempFile("chromium", ".out");
    Path err = Files.createTempFile("chromium", ".err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("chromium did not finish within 120 s on " + page);
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), "chromium failed on " + page + ": " + stderr);
    List<String> consoleErrors = stderr.lines()
        .filter(l -> l.contains("CONSOLE") && (l.contains("Uncaught") || l.contains("Error")))
        .toList();
    assertEquals(List.of(), consoleErrors, page + ": console errors");
    return Files.readString(out, StandardCharsets.UTF_8);
  }
}
