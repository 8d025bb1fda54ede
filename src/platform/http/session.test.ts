import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../../../test/helper.js';
import { SESSION_COOKIE } from './session.js';

/** The cookie a response set, as a browser would send it back. */
function cookieFrom(setCookie: string | string[] | undefined): string {
  const header = Array.isArray(setCookie) ? setCookie[0] : setCookie;
  const cookie = header?.split(';')[0];
  if (!cookie) throw new Error('no cookie was set');
  return cookie;
}

await test('sessions', async (t) => {
  const setup = async (t: Parameters<typeof buildTestApp>[0]) => {
    const built = await buildTestApp(t);
    built.app.get('/count', (request) => {
      const visits = Number(request.session.get('visits') ?? 0) + 1;
      request.session.set('visits', visits);
      return { visits };
    });
    built.app.get('/peek', (request) => ({
      visits: request.session.get('visits') ?? null,
    }));
    built.app.get('/sign-in', (request) => {
      request.session.regenerate();
      return { ok: true };
    });
    built.app.get('/sign-out', (request) => {
      request.session.destroy();
      return { ok: true };
    });
    return built;
  };

  await t.test('reading pages makes no session and writes nothing', async (t) => {
    const { app, database } = await setup(t);
    const res = await app.inject('/peek');
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal((await database.db.selectFrom('sessions').select('id').execute()).length, 0);
  });

  await t.test(
    'a session holds its data across requests, stored under a hash of its id',
    async (t) => {
      const { app, database } = await setup(t);
      const first = await app.inject('/count');
      const cookie = cookieFrom(first.headers['set-cookie']);
      assert.match(cookie, new RegExp(`^${SESSION_COOKIE}=[\\w-]{43}$`));
      assert.deepEqual((await app.inject({ url: '/count', headers: { cookie } })).json(), {
        visits: 2,
      });
      assert.deepEqual((await app.inject({ url: '/peek', headers: { cookie } })).json(), {
        visits: 2,
      });
      const [row] = await database.db.selectFrom('sessions').select('id').execute();
      assert.ok(row);
      assert.notEqual(
        row.id,
        cookie.split('=')[1],
        'a copy of the table holds no usable session id',
      );
    },
  );

  await t.test('an unknown, forged or expired id gets a fresh, empty session', async (t) => {
    const { app, database } = await setup(t);
    const forged = `${SESSION_COOKIE}=${'A'.repeat(43)}`;
    assert.deepEqual((await app.inject({ url: '/peek', headers: { cookie: forged } })).json(), {
      visits: null,
    });
    assert.deepEqual(
      (
        await app.inject({ url: '/peek', headers: { cookie: `${SESSION_COOKIE}=../../etc` } })
      ).json(),
      {
        visits: null,
      },
    );
    const cookie = cookieFrom((await app.inject('/count')).headers['set-cookie']);
    await database.db
      .updateTable('sessions')
      .set({ expires_at: '2000-01-01T00:00:00.000Z' })
      .execute();
    assert.deepEqual((await app.inject({ url: '/peek', headers: { cookie } })).json(), {
      visits: null,
    });
  });

  await t.test(
    'signing in gives a new id, so a planted one is worthless; signing out forgets it',
    async (t) => {
      const { app } = await setup(t);
      const planted = cookieFrom((await app.inject('/count')).headers['set-cookie']);
      const signedIn = await app.inject({ url: '/sign-in', headers: { cookie: planted } });
      const fresh = cookieFrom(signedIn.headers['set-cookie']);
      assert.notEqual(fresh, planted);
      assert.deepEqual((await app.inject({ url: '/peek', headers: { cookie: fresh } })).json(), {
        visits: 1,
      });
      assert.deepEqual((await app.inject({ url: '/peek', headers: { cookie: planted } })).json(), {
        visits: null,
      });
      const signedOut = await app.inject({ url: '/sign-out', headers: { cookie: fresh } });
      assert.match(String(signedOut.headers['set-cookie']), new RegExp(`${SESSION_COOKIE}=;`));
      assert.deepEqual((await app.inject({ url: '/peek', headers: { cookie: fresh } })).json(), {
        visits: null,
      });
    },
  );
});
