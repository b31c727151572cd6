// Reports (SPEC §13): a date range and a department, the totals, five charts drawn with Chart.js (each a canvas
// with an accessible name and a CSV export), and the figures per agent.
import type { Department, DurationStats, Report } from '@support-chat/protocol';
import { adminSchemas } from '@support-chat/protocol';
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { type FormEvent, useCallback, useEffect, useId, useRef, useState } from 'react';
import type { AdminApi } from './api';
import { downloadCsv, toCsv } from './csv';
import { Field, type FieldErrors, failureOf, parseForm, Status } from './ui';

Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Legend,
  Tooltip,
);

const COLORS = { a: '#4338ca', b: '#0f766e', c: '#b45309' };
/** 1 to 5 stars: red to green, distinguishable in grey too (lightness steps). */
const STAR_COLORS = ['#b91c1c', '#ea580c', '#ca8a04', '#65a30d', '#15803d'];

const isoDay = (d: Date) =>
  `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

/** A duration for people: 45 s, 12.5 min, 3.2 h. */
export function formatDuration(ms: number | null): string {
  if (ms === null) return '–';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
const minutes = (ms: number | null) => (ms === null ? null : Math.round((ms / 60_000) * 10) / 10);
const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);

interface ChartSpec {
  title: string;
  /** What a screen reader hears for the canvas. */
  summary: string;
  config: ChartConfiguration;
  csv: { name: string; header: string[]; rows: (string | number | null)[][] };
}

function ChartCard({ spec }: { spec: ChartSpec }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const id = useId();
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, spec.config);
    return () => chart.destroy();
  }, [spec]);
  return (
    <figure className="card chart" aria-labelledby={`${id}-title`}>
      <div className="row-head">
        <figcaption id={`${id}-title`}>
          <h2>{spec.title}</h2>
        </figcaption>
        <button
          type="button"
          aria-label={`Download CSV: ${spec.title}`}
          onClick={() => downloadCsv(spec.csv.name, toCsv(spec.csv.header, spec.csv.rows))}
        >
          Download CSV
        </button>
      </div>
      <div className="chart-box">
        <canvas ref={canvas} role="img" aria-label={`${spec.title}. ${spec.summary}`} />
      </div>
    </figure>
  );
}

const baseOptions = (yTitle: string) => ({
  responsive: true,
  maintainAspectRatio: false,
  animation: false as const,
  interaction: { mode: 'index' as const, intersect: false },
  plugins: { legend: { position: 'bottom' as const } },
  scales: {
    x: { ticks: { maxRotation: 0, autoSkip: true } },
    y: { beginAtZero: true, title: { display: true, text: yTitle } },
  },
});

function specs(r: Report): ChartSpec[] {
  const labels = r.days.map((d) => d.day.slice(5));
  const scope = r.department ?? 'all';
  const file = (what: string) => `${what}-${scope}-${r.from}-${r.to}.csv`;
  const t = r.totals;
  const line = (label: string, data: (number | null)[], color: string) => ({
    label,
    data,
    borderColor: color,
    backgroundColor: color,
    spanGaps: true,
    pointRadius: 2,
  });
  return [
    {
      title: 'Episodes per day',
      summary: `${t.episodesStarted} started and ${t.episodesResolved} resolved from ${r.from} to ${r.to}.`,
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: [
            { label: 'Started', data: r.days.map((d) => d.episodesStarted), backgroundColor: COLORS.a },
            { label: 'Resolved', data: r.days.map((d) => d.episodesResolved), backgroundColor: COLORS.b },
          ],
        },
        options: baseOptions('Episodes'),
      },
      csv: {
        name: file('episodes'),
        header: ['day', 'episodes_started', 'episodes_resolved'],
        rows: r.days.map((d) => [d.day, d.episodesStarted, d.episodesResolved]),
      },
    },
    {
      title: 'Messages per day',
      summary: `${t.messages.customer} from customers and ${t.messages.agents} from agents.`,
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: [
            {
              label: 'From customers',
              data: r.days.map((d) => d.messages.customer),
              backgroundColor: COLORS.a,
            },
            { label: 'From agents', data: r.days.map((d) => d.messages.agents), backgroundColor: COLORS.b },
          ],
        },
        options: {
          ...baseOptions('Messages'),
          scales: {
            x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'Messages' } },
          },
        },
      },
      csv: {
        name: file('messages'),
        header: ['day', 'customer_messages', 'agent_messages'],
        rows: r.days.map((d) => [d.day, d.messages.customer, d.messages.agents]),
      },
    },
    {
      title: 'First response time (minutes)',
      summary: `Median ${formatDuration(t.firstResponse.p50)}, 90th percentile ${formatDuration(t.firstResponse.p90)} over ${t.firstResponse.count} episodes.`,
      config: {
        type: 'line',
        data: {
          labels,
          datasets: [
            line(
              'Median (p50)',
              r.days.map((d) => minutes(d.firstResponse.p50)),
              COLORS.a,
            ),
            line(
              'p90',
              r.days.map((d) => minutes(d.firstResponse.p90)),
              COLORS.c,
            ),
          ],
        },
        options: baseOptions('Minutes'),
      },
      csv: {
        name: file('first-response'),
        header: ['day', 'first_responses', 'p50_seconds', 'p90_seconds', 'average_seconds'],
        rows: r.days.map((d) => [
          d.day,
          d.firstResponse.count,
          seconds(d.firstResponse.p50),
          seconds(d.firstResponse.p90),
          seconds(d.firstResponse.average),
        ]),
      },
    },
    {
      title: 'Resolution time (minutes)',
      summary: `Median ${formatDuration(t.resolution.p50)}, 90th percentile ${formatDuration(t.resolution.p90)} over ${t.resolution.count} resolved episodes.`,
      config: {
        type: 'line',
        data: {
          labels,
          datasets: [
            line(
              'Median (p50)',
              r.days.map((d) => minutes(d.resolution.p50)),
              COLORS.b,
            ),
            line(
              'p90',
              r.days.map((d) => minutes(d.resolution.p90)),
              COLORS.c,
            ),
          ],
        },
        options: baseOptions('Minutes'),
      },
      csv: {
        name: file('resolution'),
        header: ['day', 'resolutions', 'p50_seconds', 'p90_seconds', 'average_seconds'],
        rows: r.days.map((d) => [
          d.day,
          d.resolution.count,
          seconds(d.resolution.p50),
          seconds(d.resolution.p90),
          seconds(d.resolution.average),
        ]),
      },
    },
    {
      title: 'Satisfaction per day',
      summary: t.satisfaction.count
        ? `Average ${t.satisfaction.average} of 5 over ${plural(t.satisfaction.count, 'rating')}: ${t.satisfaction.distribution
            .map((n, i) => `${n} × ${i + 1} stars`)
            .join(', ')}.`
        : 'No ratings in this range.',
      config: {
        type: 'bar',
        data: {
          labels,
          datasets: [0, 1, 2, 3, 4].map((i) => ({
            label: `${i + 1} ★`,
            data: r.days.map((d) => d.satisfaction.distribution[i] ?? 0),
            backgroundColor: STAR_COLORS[i],
          })),
        },
        options: {
          ...baseOptions('Ratings'),
          scales: {
            x: { stacked: true, ticks: { maxRotation: 0, autoSkip: true } },
            y: { stacked: true, beginAtZero: true, title: { display: true, text: 'Ratings' } },
          },
        },
      },
      csv: {
        name: file('satisfaction'),
        header: ['day', 'ratings', 'average', 'ones', 'twos', 'threes', 'fours', 'fives'],
        rows: r.days.map((d) => [
          d.day,
          d.satisfaction.count,
          d.satisfaction.average,
          ...d.satisfaction.distribution,
        ]),
      },
    },
  ];
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** "4.5 (2)": average and how many ratings, or a dash. */
const satisfactionText = (s: Report['totals']['satisfaction']) =>
  s.count ? `${s.average} (${s.count})` : '–';

const stat = (s: DurationStats) => `${formatDuration(s.p50)} / ${formatDuration(s.p90)}`;

export function Reports({ api, departments }: { api: AdminApi; departments: Department[] }) {
  const today = new Date();
  const [query, setQuery] = useState({
    from: isoDay(new Date(today.getTime() - 29 * 86_400_000)),
    to: isoDay(today),
    department: '',
  });
  const [report, setReport] = useState<Report | null>(null);
  const [charts, setCharts] = useState<ChartSpec[]>([]);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [message, setMessage] = useState<string | null>(null);

  const load = useCallback(
    async (q: typeof query) => {
      const parsed = parseForm(adminSchemas.ReportsQuery, { ...q, department: q.department || undefined });
      if (!parsed.ok) {
        setErrors(parsed.errors);
        return;
      }
      setErrors({});
      try {
        const params = new URLSearchParams({ from: parsed.data.from, to: parsed.data.to });
        if (parsed.data.department) params.set('department', parsed.data.department);
        const r = (await api.call<{ report: Report }>('GET', `/reports?${params}`)).report;
        setReport(r);
        setCharts(specs(r));
        setMessage(null);
      } catch (err) {
        const f = failureOf(err);
        setErrors(f.errors);
        setMessage(f.message);
      }
    },
    [api],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: the first range loads once; later ones on submit
  useEffect(() => {
    load(query);
  }, [load]);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    load(query);
  };
  const t = report?.totals;
  return (
    <>
      <form className="card filters" onSubmit={submit} noValidate aria-label="Report range">
        <Field label="From" error={errors.from}>
          {(p) => (
            <input
              {...p}
              type="date"
              value={query.from}
              onChange={(e) => setQuery({ ...query, from: e.target.value })}
            />
          )}
        </Field>
        <Field label="To" error={errors.to}>
          {(p) => (
            <input
              {...p}
              type="date"
              value={query.to}
              onChange={(e) => setQuery({ ...query, to: e.target.value })}
            />
          )}
        </Field>
        <Field label="Department">
          {(p) => (
            <select
              {...p}
              value={query.department}
              onChange={(e) => setQuery({ ...query, department: e.target.value })}
            >
              <option value="">All departments</option>
              {departments.map((d) => (
                <option key={d.id} value={d.id}>
                  {d.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="actions">
          <button type="submit" className="primary">
            Show report
          </button>
        </div>
      </form>
      <Status message={message} kind="error" />
      {report && t && (
        <>
          <p className="muted">
            {report.from} to {report.to}, days in {report.timeZone}. Episodes run from a customer's message to
            the resolve.
          </p>
          <ul className="kpis" aria-label="Totals">
            <li className="card">
              <span className="kpi">{t.episodesStarted}</span> episodes started
            </li>
            <li className="card">
              <span className="kpi">{t.episodesResolved}</span> episodes resolved
            </li>
            <li className="card">
              <span className="kpi">{t.messages.customer + t.messages.agents}</span> messages
            </li>
            <li className="card">
              <span className="kpi">{stat(t.firstResponse)}</span> first response, median / p90
            </li>
            <li className="card">
              <span className="kpi">{stat(t.resolution)}</span> resolution, median / p90
            </li>
            <li className="card">
              <span className="kpi">{t.satisfaction.average ?? '–'}</span>
              {t.satisfaction.count
                ? ` of 5 satisfaction (${plural(t.satisfaction.count, 'rating')})`
                : ' satisfaction (no ratings yet)'}
            </li>
          </ul>
          <div className="charts">
            {charts.map((c) => (
              <ChartCard key={c.title} spec={c} />
            ))}
          </div>
          <section className="card" aria-labelledby="by-agent">
            <div className="row-head">
              <h2 id="by-agent">By agent</h2>
              <button
                type="button"
                aria-label="Download CSV: by agent"
                onClick={() =>
                  downloadCsv(
                    `agents-${report.department ?? 'all'}-${report.from}-${report.to}.csv`,
                    toCsv(
                      [
                        'agent',
                        'messages',
                        'episodes_resolved',
                        'first_response_p50_seconds',
                        'first_response_p90_seconds',
                        'resolution_p50_seconds',
                        'resolution_p90_seconds',
                        'ratings',
                        'satisfaction_average',
                        'ones',
                        'twos',
                        'threes',
                        'fours',
                        'fives',
                      ],
                      report.agents.map((a) => [
                        a.username,
                        a.messages,
                        a.episodesResolved,
                        seconds(a.firstResponse.p50),
                        seconds(a.firstResponse.p90),
                        seconds(a.resolution.p50),
                        seconds(a.resolution.p90),
                        a.satisfaction.count,
                        a.satisfaction.average,
                        ...a.satisfaction.distribution,
                      ]),
                    ),
                  )
                }
              >
                Download CSV
              </button>
            </div>
            {report.agents.length === 0 ? (
              <p className="muted">No agent activity in this range.</p>
            ) : (
              <>
                {/* biome-ignore lint/a11y/noNoninteractiveTabindex: a scrolling region must be reachable by keyboard (axe scrollable-region-focusable) */}
                <section className="table-wrap" aria-label="Figures by agent" tabIndex={0}>
                  <table>
                    <thead>
                      <tr>
                        <th scope="col">Agent</th>
                        <th scope="col">Messages</th>
                        <th scope="col">Resolved</th>
                        <th scope="col">First response (median / p90)</th>
                        <th scope="col">Resolution (median / p90)</th>
                        <th scope="col">Satisfaction (ratings)</th>
                      </tr>
                    </thead>
                    <tbody>
                      {report.agents.map((a) => (
                        <tr key={a.agentId}>
                          <th scope="row">{a.username}</th>
                          <td>{a.messages}</td>
                          <td>{a.episodesResolved}</td>
                          <td>{stat(a.firstResponse)}</td>
                          <td>{stat(a.resolution)}</td>
                          <td>{satisfactionText(a.satisfaction)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </section>
              </>
            )}
          </section>
        </>
      )}
    </>
  );
}
