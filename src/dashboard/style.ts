/** The dashboard's one stylesheet: readable at 375 px and at 1440 px, no web fonts. */
export const DASHBOARD_CSS = `:root{--fg:#1b1f24;--muted:#59636e;--line:#d1d9e0;--bg:#fff;--soft:#f6f8fa;--prod:#1a7f37;--arch:#8250df;--stag:#9a6700;--bad:#cf222e}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.25rem 1rem;align-items:baseline;padding:.75rem 1rem;border-bottom:1px solid var(--line);background:var(--soft)}
header .brand{font-weight:700;color:var(--fg);text-decoration:none}
nav{color:var(--muted)}
main{max-width:1200px;margin:0 auto;padding:1rem}
footer{max-width:1200px;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.85rem}
h1{font-size:1.5rem;margin:.5rem 0}h2{font-size:1.15rem;margin:1.75rem 0 .5rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
a{color:#0969da}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85em;overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
table{border-collapse:collapse;margin:.5rem 0;min-width:16rem}
caption{text-align:left;color:var(--muted);font-size:.85rem;padding:.25rem 0}
th,td{border:1px solid var(--line);padding:.3rem .55rem;text-align:left;vertical-align:top}
th{background:var(--soft)}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(14rem,1fr));gap:.75rem}
.card{border:1px solid var(--line);border-radius:6px;padding:.75rem 1rem;background:var(--soft)}
.card .big{font-size:1.6rem;font-weight:700}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,30rem),1fr));gap:1rem}
figure{margin:0;border:1px solid var(--line);border-radius:6px;padding:.5rem}
figure svg{width:100%;height:auto;display:block}
.chart{width:100%;min-width:0;overflow:hidden;margin:.25rem 0}
.chart .uplot{width:100%;font-family:inherit}
.chart .u-title{font-size:.95rem}
.chart .u-legend{font-size:.8rem}
figcaption{font-size:.85rem;color:var(--muted)}
details{margin:.25rem 0}
.stage{display:inline-block;padding:0 .45rem;border-radius:1rem;font-size:.8rem;border:1px solid currentColor}
.stage-production,.ev-promoted{color:var(--prod)}.stage-archived,.ev-archived{color:var(--arch)}.stage-staging,.ev-registered{color:var(--stag)}.ev-rolled_back{color:var(--bad)}.ev-released{color:#0969da}
.pass{color:var(--prod)}.fail{color:var(--bad)}
.lineage{list-style:none;padding:0;margin:0}
.lineage li{padding:.3rem 0;border-bottom:1px dashed var(--line);overflow-wrap:anywhere}
.lineage li::before{content:"→ ";color:var(--muted)}
.lineage li:first-child::before{content:""}
form{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end;margin:.5rem 0}
label{display:flex;flex-direction:column;font-size:.85rem;color:var(--muted)}
input,select,button{font:inherit;padding:.3rem .45rem}
output{display:block;font-weight:600;margin:.25rem 0}
.pager{display:flex;flex-wrap:wrap;gap:.5rem;margin:.5rem 0}
.notice{border-left:4px solid var(--stag);padding:.25rem .75rem;background:var(--soft)}
.sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;
