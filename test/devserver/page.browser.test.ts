import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  AgentSightClient,
  AgentSightSpanProcessor,
  trackConversation,
  trackFeedback,
  trackHumanMessage,
} from 'agentsight-otel';
import { expect } from 'chai';
import { type Browser, chromium } from 'playwright-core';
import { gradientPng } from '#examples/chat-server/sample-image';
import { conversationBody, post, TEST_API_KEY, useReceiver } from '../helpers/receiver';
import { startSdk, stopSdk } from '../helpers/sdk';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Artifacts land in .artifacts/ at the repository root (git-ignored). */
const ARTIFACTS = resolve(__dirname, '../../../.artifacts');

describe('local receiver: the transcript page in headless Chromium', function () {
  this.timeout(60_000);
  const server = useReceiver({ apiKey: TEST_API_KEY });
  let browser: Browser | undefined;

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      // CI installs Chromium and sets AGENTSIGHT_REQUIRE_BROWSER, so there a missing browser fails.
      if (process.env.AGENTSIGHT_REQUIRE_BROWSER) throw new Error(`Chromium not found at ${CHROMIUM}`);
      console.warn(`    (skipped: no Chromium at ${CHROMIUM}; apt-get install chromium)`);
      this.skip();
    }
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  after(async () => {
    await browser?.close();
  });

  it('lists conversations and shows the selected transcript', async () => {
    const created = await post(
      server(),
      '/api/conversations/',
      conversationBody('web-chat-123', { customer_id: 'user-456' }),
    );
    await post(server(), '/api/conversations/', conversationBody('other-<script>'));
    const base = { conversation_id: 'web-chat-123', metadata: {}, conversation: created.body.id };
    await post(server(), '/api/track/', {
      ...base,
      timestamp: '2026-02-08T13:36:00.000000+00:00',
      content: 'What is 127 multiplied by 8?',
      sender: 'end_user',
    });
    await post(server(), '/api/action_logs/', {
      ...base,
      timestamp: '2026-02-08T13:36:01.000000+00:00',
      action_name: 'calculator',
      duration_ms: 4,
      response: '1016',
    });
    await post(server(), '/api/track/', {
      ...base,
      timestamp: '2026-02-08T13:36:02.000000+00:00',
      content: '127 × 8 = 1016',
      sender: 'agent',
    });

    const page = await (browser as Browser).newPage();
    await page.goto(`${server().url}/`);
    const links = await page.locator('nav a').allTextContents();
    expect(links).to.deep.equal(['web-chat-123', 'other-<script>']);
    await page.click('nav a[data-conversation="web-chat-123"]');
    await page.waitForURL(/conversation=web-chat-123/);
    expect(await page.locator('h2').textContent()).to.contain('conversation web-chat-123');
    const lines = await page.locator('#transcript .line').allInnerTexts();
    expect(lines.map((l) => l.replace(/\s+/g, ' ').trim())).to.deep.equal([
      '13:36:00.000 user What is 127 multiplied by 8?',
      '13:36:01.000 action calculator (4 ms) → 1016',
      '13:36:02.000 agent 127 × 8 = 1016',
    ]);
    mkdirSync(ARTIFACTS, { recursive: true });
    const screenshot = join(ARTIFACTS, 'dev-server-page.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`    screenshot: ${screenshot}`);
    await page.close();
  });

  it('shows an uploaded image as a thumbnail, the feedback and the mark, sent through the real pipeline', async () => {
    const image = gradientPng(120, 80);
    const processor = new AgentSightSpanProcessor({ apiKey: TEST_API_KEY, endpoint: server().url });
    const sdk = startSdk({ spanProcessors: [processor] });
    try {
      trackConversation({ conversationId: 'with-image', name: 'Photo help' }, () => {
        trackHumanMessage('Is this chart readable?', undefined, [{ data: image, filename: 'chart.png' }]);
      });
      trackConversation({ conversationId: 'with-image' }, () => {
        trackFeedback({ sentiment: 'negative', comment: 'Too blurry' });
      });
      await processor.forceFlush();
    } finally {
      await stopSdk(sdk);
    }
    await new AgentSightClient({ apiKey: TEST_API_KEY, endpoint: server().url }).markConversation('with-image', true);

    const page = await (browser as Browser).newPage();
    await page.goto(`${server().url}/?conversation=with-image`);
    expect(await page.locator('h2').textContent())
      .to.contain('"Photo help"')
      .and.contain('marked');
    const lines = (await page.locator('#transcript .line').allInnerTexts()).map((l) => l.replace(/\s+/g, ' ').trim());
    expect(lines[0]).to.match(/user Is this chart readable\?$/);
    expect(lines[1]).to.match(/files end_user: chart\.png \(image\/png, [\d.]+ KiB\) · message #\d+ chart\.png$/);
    expect(lines[2]).to.match(/feedback negative Too blurry$/);
    // The thumbnail is the uploaded image itself, decoded by the browser at its real size.
    const thumbnail = page.locator('.line.files img');
    await thumbnail.waitFor();
    await page.waitForFunction(() => {
      const img = (
        globalThis as unknown as { document: { querySelector(s: string): { complete: boolean } } }
      ).document.querySelector('.line.files img');
      return img.complete;
    });
    const size = await thumbnail.evaluate((element) => {
      const img = element as unknown as { naturalWidth: number; naturalHeight: number };
      return [img.naturalWidth, img.naturalHeight];
    });
    expect(size).to.deep.equal([120, 80]);
    const screenshot = join(ARTIFACTS, 'dev-server-attachments.png');
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`    screenshot: ${screenshot}`);
    await page.close();
  });
});
