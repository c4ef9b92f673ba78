// A WeChat world without a network: wechaty-puppet-mock's Mocker with one contact per person of the
// organization (by their wechaty id), a safety group, and the bot logged in.
import { type Wechaty, WechatyBuilder } from 'wechaty';
import { mock, PuppetMock } from 'wechaty-puppet-mock';

export interface MockWorld {
  bot: Wechaty;
  mocker: mock.Mocker;
  botUser: mock.ContactMock;
  room: mock.RoomMock;
  contact(id: string): mock.ContactMock;
  /** Texts the bot said to a contact privately, and in a room (the safety group unless named), in order. */
  privateTo(id: string): string[];
  inRoom(roomId?: string): string[];
  clear(): void;
  /** The account logs out; `login` brings it back, ready. */
  logout(): Promise<void>;
  login(): Promise<void>;
  stop(): Promise<void>;
}

export async function startMockWechat(memberIds: string[]): Promise<MockWorld> {
  const mocker = new mock.Mocker();
  const puppet = new PuppetMock({ mocker });
  const bot = WechatyBuilder.build({ name: `test-${Math.random()}`, puppet });
  const botUser = mocker.createContact({ id: 'wxid_safety_bot', name: '安全助手' });
  const contacts = new Map(memberIds.map((id) => [id, mocker.createContact({ id, name: id })]));
  const room = mocker.createRoom({
    id: 'safety-group@chatroom',
    topic: '安全工作群',
    memberIdList: [botUser.id, ...memberIds],
  });
  const said = new Map<string, string[]>();
  const record = (key: string, text: string) => said.set(key, [...(said.get(key) ?? []), text]);
  bot.on('message', (message) => {
    if (!message.self()) return;
    const where = message.room();
    record(where ? where.id : (message.listener()?.id ?? '?'), message.text());
  });
  const login = async () => {
    mocker.login(botUser);
    // A real puppet says `ready` once its contacts and rooms are loaded; the mock never does by itself.
    puppet.emit('ready', { data: 'mock' });
    await new Promise((resolve) => setTimeout(resolve, 50));
  };
  await bot.start();
  await login();
  return {
    bot,
    mocker,
    botUser,
    room,
    contact(id) {
      const contact = contacts.get(id) ?? mocker.createContact({ id, name: id });
      contacts.set(id, contact);
      return contact;
    },
    privateTo: (id) => said.get(id) ?? [],
    inRoom: (roomId = room.id) => said.get(roomId) ?? [],
    clear: () => said.clear(),
    logout: () => puppet.logout(),
    login,
    stop: () => bot.stop(),
  };
}
