fn main() {
    yew::Renderer::<sdlab_app::App>::new().render();
}
