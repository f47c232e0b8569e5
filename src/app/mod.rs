//! The Leptos UI. It never calls burn: training happens in the compute worker, which this side
//! talks to through [`worker_client`].

mod bar_chart;
mod chart;
mod confusion;
mod controls;
mod embed;
mod epoch_charts;
mod estimate;
mod export;
mod feature_maps;
mod gallery;
mod gradient_profiles;
mod heat_strip;
mod idb;
mod landing;
mod landscape_map;
mod mistakes;
mod net_diagram;
mod page;
mod progress;
mod run_details;
mod runs;
mod seed_repeat;
mod training_controls;
// The pages' views, named by the page table (`crate::pages::catalogue`).
pub(crate) mod data_page;
pub(crate) mod ex1;
pub(crate) mod ex2;
pub(crate) mod ex3;
pub(crate) mod ex4;
pub(crate) mod ex5;
pub(crate) mod nas;
pub(crate) mod part1;
pub(crate) mod part2;
pub(crate) mod part3;
pub(crate) mod part4;
pub(crate) mod part5;
pub(crate) mod part6;
pub(crate) mod part7;
pub(crate) mod pipeline;
pub(crate) mod variants;
pub(crate) mod visualise;
pub mod worker_client;

use leptos::prelude::*;

use crate::pages::catalogue;
use crate::pages::embed::Embed;
use crate::pages::query::Query;
use crate::protocol::BackendChoice;

/// What the header badge shows.
#[derive(Clone, Debug, PartialEq)]
pub enum BackendStatus {
    Starting,
    Ready {
        name: String,
        adapter: String,
        note: Option<String>,
        threads: u32,
    },
    /// The worker died (a panic, or the GPU was lost); it is being restarted.
    Crashed(String),
}

pub fn start() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(App);
}

/// The current URL's query string.
pub fn location_query() -> String {
    window().location().search().unwrap_or_default()
}

/// Replaces the URL's query without reloading, so the page's state can be shared as a link.
pub fn set_location_query(query: &str) {
    if let Ok(history) = window().history() {
        let _ = history.replace_state_with_url(&wasm_bindgen::JsValue::NULL, "", Some(&format!("?{query}")));
    }
}

/// Keeps the URL equal to the page's settings (plus `?backend=` as given), so reloading or sharing
/// the link restores them.
pub fn sync_url(query: impl Fn() -> String + Send + Sync + 'static) {
    Effect::new(move |_| {
        let mut q = query();
        q.push_str(&crate::pages::embed::kept_suffix(&location_query()));
        set_location_query(&q);
    });
}

/// Where Part 4 keeps its last trained net for Part 5 (session storage: this tab only).
pub const SAVED_NET_KEY: &str = "resnet-lab.saved-net";

pub fn session_storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

/// `?backend=` as given, kept when a page rewrites the URL.
pub fn backend_param() -> Option<String> {
    Query::parse(&location_query()).raw("backend").map(str::to_string)
}

/// A link to another page of the lab (`""` = all pages) that keeps a forced `backend=`, so a
/// student on `?backend=cpu` stays on the CPU as they move around.
pub fn page_href(slug: &str) -> String {
    let keep = backend_param().map(|b| format!("backend={}", js_sys::encode_uri_component(&b)));
    match (slug, keep) {
        ("", None) => "?".into(),
        ("", Some(k)) => format!("?{k}"),
        (s, None) => format!("?page={s}"),
        (s, Some(k)) => format!("?page={s}&{k}"),
    }
}

#[component]
fn App() -> impl IntoView {
    let mut q = Query::parse(&location_query());
    let choice = q.choice(
        "backend",
        BackendChoice::Auto,
        |s| match s {
            "auto" => Some(BackendChoice::Auto),
            "cpu" => Some(BackendChoice::Cpu),
            "webgpu" => Some(BackendChoice::Webgpu),
            _ => None,
        },
        "auto, cpu, webgpu",
    );
    let embed = Embed::read(&mut q);
    provide_context(embed.clone());
    let status = RwSignal::new(BackendStatus::Starting);
    provide_context(status);
    provide_context(estimate::Pace(RwSignal::new(None)));
    // Charts draw at their displayed size: they redraw when the window's width changes.
    let width = RwSignal::new(window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(0.0));
    provide_context(chart::ViewportWidth(width));
    chart::warm_up_text();
    let on_resize = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        width.set(window().inner_width().ok().and_then(|w| w.as_f64()).unwrap_or(0.0));
    });
    let _ = window().add_event_listener_with_callback("resize", wasm_bindgen::JsCast::unchecked_ref(on_resize.as_ref()));
    on_resize.forget();
    let memory = RwSignal::new(None::<u64>);
    // How long WebGPU may stay silent mid-run before the worker is replaced (slow GPUs may need more).
    let gpu_timeout = q.int("gpu_timeout", crate::protocol::DEFAULT_GPU_TIMEOUT_S as usize, 5, 600);
    // CPU threads: the machine's cores unless `?threads=` says otherwise (1 = the single-threaded worker).
    let cores = window().navigator().hardware_concurrency().clamp(1.0, 16.0) as usize;
    let threads = q.int("threads", cores, 1, 64);
    worker_client::connect(choice, gpu_timeout as f64, threads as u32, status, memory);
    let page = q.raw("page").unwrap_or_default().to_string();
    let notes = q.notes.clone();

    let body = match page.as_str() {
        "" => landing::Landing().into_any(),
        slug => catalogue::view(slug).unwrap_or_else(|| missing_page(slug)),
    };

    if embed.on {
        if let Some(body) = document().body() {
            body.set_class_name("embed");
        }
    }
    if embed.autorun {
        embed::autorun();
    }
    let header = if embed.on {
        // Inside course material: no site header, a link out to the full lab (same settings).
        let out = format!("?{}", crate::pages::embed::standalone_query(&location_query()));
        view! {
            <header class="top embed-bar">
                <a class="brand" href=out target="_blank" rel="noopener" data-testid="open-in-lab">"Open in ResNet Lab ↗"</a>
                <BackendBadge status=status memory=memory />
            </header>
        }
        .into_any()
    } else {
        view! {
            <header class="top">
                <a class="brand" href=page_href("")>"ResNet Lab"</a>
                <span class="tagline">"why F(x) + x lets deep networks learn"</span>
                <BackendBadge status=status memory=memory />
            </header>
        }
        .into_any()
    };

    view! {
        {header}
        {(!notes.is_empty()).then(|| view! {
            <ul class="url-notes" role="status">{notes.into_iter().map(|n| view! { <li>{n}</li> }).collect_view()}</ul>
        })}
        <main>{body}</main>
    }
}

/// A page the table lists but has not built yet, or no page at all.
fn missing_page(slug: &str) -> AnyView {
    match catalogue::find(slug) {
        Some(card) => view! {
            <section class="notice">
                <h2>{card.title}</h2>
                <p>"This page is not built yet. "<a href=page_href("")>"Back to all pages"</a></p>
            </section>
        }
        .into_any(),
        None => view! {
            <section class="notice error" role="alert">
                <h2>"Unknown page"</h2>
                <p>{format!("There is no page called '{slug}'. ")}<a href=page_href("")>"See all pages"</a></p>
            </section>
        }
        .into_any(),
    }
}

#[component]
fn BackendBadge(status: RwSignal<BackendStatus>, memory: RwSignal<Option<u64>>) -> impl IntoView {
    let badge = move || match status.get() {
        BackendStatus::Starting => ("starting", "Starting compute…".to_string(), String::new(), None),
        BackendStatus::Ready { name, adapter, note, threads } => {
            let label = match (name.as_str(), threads) {
                ("webgpu", _) => "WebGPU".to_string(),
                (_, 1) => "CPU".to_string(),
                (_, n) => format!("CPU · {n} threads"),
            };
            (if name == "webgpu" { "webgpu" } else { "cpu" }, label, adapter, note)
        }
        BackendStatus::Crashed(why) => ("crashed", "Restarting compute…".to_string(), String::new(), Some(why)),
    };
    let threads = move || match status.get() {
        BackendStatus::Ready { threads, .. } => Some(threads.to_string()),
        _ => None,
    };
    view! {
        <div class="backend">
            <span class="badge" data-testid="backend" data-backend=move || badge().0 title=move || badge().2 data-threads=threads
                data-worker-memory=move || memory.get().map(|b| b.to_string())>
                {move || badge().1}
            </span>
            {move || badge().3.map(|n| view! { <span class="backend-note" data-testid="backend-note">{n}</span> })}
        </div>
    }
}
