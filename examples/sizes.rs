fn main() {
    use std::mem::size_of;
    println!("Message {}", size_of::<sipscope::model::Message>());
    println!("Dialog {}", size_of::<sipscope::model::Dialog>());
    println!("FrameRef {}", size_of::<sipscope::decode::FrameRef>());
    println!("Sdp {}", size_of::<sipscope::sip::sdp::Sdp>());
    println!("Media {}", size_of::<sipscope::sip::sdp::Media>());
    println!("SipMessage {}", size_of::<sipscope::sip::SipMessage>());
}
