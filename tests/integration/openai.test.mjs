// Compatibility suite: the official `openai` npm client talking to Warden, which proxies to
// warden-mock. Starts both binaries on free loopback ports, runs the client's main calls and its
// error mapping, and stops the children afterwards.
//
//   cd tests/integration && npm install && node --test openai.test.mjs
//
// BUILD (default "build", relative to the repo root) selects the binaries, like the shell tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const build = path.resolve(root, process.env.BUILD || 'build');
const MOCK_CONTENT = 'Hello from warden-mock.';

function freePort() {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.on('error', reject);
        srv.listen(0, '127.0.0.1', () => {
            const { port } = srv.address();
            srv.close(() => resolve(port));
        });
    });
}

function canConnect(port) {
    return new Promise((resolve) => {
        const s = net.connect(port, '127.0.0.1');
        s.once('connect', () => { s.destroy(); resolve(true); });
        s.once('error', () => resolve(false));
    });
}

async function waitPort(port, child, name, ms = 10000) {
    const end = Date.now() + ms;
    while (Date.now() < end) {
        if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
        if (await canConnect(port)) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`${name} did not open port ${port}`);
}

function stop(child) {
    if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const t = setTimeout(() => { child.kill('SIGKILL'); }, 3000);
        child.once('exit', () => { clearTimeout(t); resolve(); });
        child.kill('SIGTERM');
    });
}

describe('openai npm client against Warden', () => {
    let mock, warden, tmp, client;
    const wardenStderr = [];

    before(async () => {
        tmp = mkdtempSync(path.join(os.tmpdir(), 'warden-openai-'));
        const mockPort = await freePort();
        mock = spawn(path.join(build, 'warden-mock'), ['--listen', `127.0.0.1:${mockPort}`, '--quiet'], { stdio: 'ignore' });
        await waitPort(mockPort, mock, 'warden-mock');

        const port = await freePort();
        const cfg = path.join(tmp, 'warden.yaml');
        writeFileSync(cfg, [
            `server: {listen: "127.0.0.1:${port}", workers: 1, drain_timeout_ms: 1000}`,
            'providers:',
            `  - {name: local, type: openai, base_url: "http://127.0.0.1:${mockPort}/v1"}`,
            'models:',
            '  - name: gpt-4o-mini',
            '    targets: [{provider: local, model: mock-1}]',
            // the failure tests use their own models: a failure cools its target down (circuit breaker)
            '  - name: rate-limited',
            '    targets: [{provider: local, model: mock-429}]',
            '  - name: cut-stream',
            '    targets: [{provider: local, model: mock-cut}]',
            '  - name: text-embedding-3-small',
            '    targets: [{provider: local, model: mock-emb}]',
            '',
        ].join('\n'));
        warden = spawn(path.join(build, 'warden'), ['--config', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
        warden.stderr.on('data', (d) => wardenStderr.push(d));
        await waitPort(port, warden, 'warden');

        client = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'x', maxRetries: 0, timeout: 10000 });
    });

    after(async () => {
        await stop(warden);
        await stop(mock);
        if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    test('chat.completions.create (non-streaming): content and usage', async () => {
        const r = await client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'Hello, gateway! 12345678' }],
        });
        assert.equal(r.object, 'chat.completion');
        assert.equal(r.model, 'mock-1');
        assert.equal(r.choices[0].message.role, 'assistant');
        assert.equal(r.choices[0].message.content, MOCK_CONTENT);
        assert.equal(r.choices[0].finish_reason, 'stop');
        assert.ok(r.usage.prompt_tokens > 0);
        assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
    });

    test('withResponse exposes Warden headers', async () => {
        const { data, response } = await client.chat.completions
            .create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'npm-rid-1' } })
            .withResponse();
        assert.equal(data.choices[0].message.content, MOCK_CONTENT);
        assert.equal(response.headers.get('x-request-id'), 'npm-rid-1');
        assert.equal(response.headers.get('x-warden-target'), 'local/mock-1');
    });

    test('chat.completions.create (streaming): chunks reassemble the content, usage at the end', async () => {
        const stream = await client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'stream please' }],
            stream: true,
            stream_options: { include_usage: true },
        });
        let text = '';
        let chunks = 0;
        let usage = null;
        for await (const chunk of stream) {
            chunks++;
            assert.equal(chunk.object, 'chat.completion.chunk');
            if (chunk.choices.length > 0) text += chunk.choices[0].delta.content ?? '';
            if (chunk.usage) usage = chunk.usage;
        }
        assert.equal(text, MOCK_CONTENT);
        assert.ok(chunks >= 6, `only ${chunks} chunks`);
        assert.ok(usage && usage.total_tokens > 0, 'usage chunk missing');
    });

    test('streaming without include_usage: no usage chunk (Warden asks for it upstream and strips it)', async () => {
        const stream = await client.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'stream please' }],
            stream: true,
        });
        let text = '';
        let chunks = 0;
        for await (const chunk of stream) {
            chunks++;
            assert.ok(chunk.choices.length > 0, 'a chunk without choices (the usage chunk) reached the client');
            assert.ok(!chunk.usage, 'usage the client did not ask for');
            text += chunk.choices[0].delta.content ?? '';
        }
        assert.equal(text, MOCK_CONTENT);
        assert.ok(chunks >= 6, `only ${chunks} chunks`);
    });

    test('embeddings.create', async () => {
        const r = await client.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] });
        assert.equal(r.data.length, 2);
        assert.equal(r.model, 'mock-emb');
        assert.ok(Array.isArray(r.data[0].embedding) && r.data[0].embedding.length > 0);
        assert.ok(r.data[0].embedding.every((x) => typeof x === 'number'));
    });

    test('models.list and models.retrieve', async () => {
        const ids = [];
        for await (const m of client.models.list()) ids.push(m.id);
        assert.deepEqual(ids.sort(), ['cut-stream', 'gpt-4o-mini', 'rate-limited', 'text-embedding-3-small']);
        const m = await client.models.retrieve('gpt-4o-mini');
        assert.equal(m.id, 'gpt-4o-mini');
    });

    test('unknown model -> NotFoundError (404)', async () => {
        await assert.rejects(
            client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'x' }] }),
            (e) => {
                assert.ok(e instanceof OpenAI.NotFoundError, `got ${e?.constructor?.name}`);
                assert.equal(e.status, 404);
                assert.equal(e.code, 'model_not_found');
                return true;
            },
        );
    });

    test('invalid request -> BadRequestError (400) with param', async () => {
        await assert.rejects(
            client.chat.completions.create({ model: 'gpt-4o-mini', messages: 'not an array' }),
            (e) => {
                assert.ok(e instanceof OpenAI.BadRequestError, `got ${e?.constructor?.name}`);
                assert.equal(e.status, 400);
                assert.equal(e.param, 'messages');
                return true;
            },
        );
    });

    test('upstream 429 (forced via an extra body field) -> RateLimitError', async () => {
        await assert.rejects(
            client.chat.completions.create({
                model: 'rate-limited',
                messages: [{ role: 'user', content: 'x' }],
                mock: { status: 429, retry_after: '1' },
            }),
            (e) => {
                assert.ok(e instanceof OpenAI.RateLimitError, `got ${e?.constructor?.name}`);
                assert.equal(e.status, 429);
                assert.equal(e.headers.get('retry-after'), '1');
                return true;
            },
        );
    });

    test('a cut stream (upstream aborts mid-stream) makes for-await throw', async () => {
        const stream = await client.chat.completions.create({
            model: 'cut-stream',
            messages: [{ role: 'user', content: 'cut me' }],
            stream: true,
            mock: { abort_after: 2 },
        });
        let text = '';
        await assert.rejects(
            (async () => {
                for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
            })(),
            (e) => {
                assert.ok(e instanceof OpenAI.APIError, `got ${e?.constructor?.name}: ${e?.message}`);
                return true;
            },
        );
        assert.ok(text.length > 0 && text !== MOCK_CONTENT, `partial text expected, got '${text}'`);
    });

    test('Warden is still alive at the end', async () => {
        assert.equal(warden.exitCode, null, `warden exited; its log:\n${Buffer.concat(wardenStderr).toString().slice(-2000)}`);
        const r = await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] });
        assert.equal(r.choices[0].message.content, MOCK_CONTENT);
    });
});
